import { useEffect, useState } from 'react';

export type Route =
  | { readonly view: 'hosts' }
  | { readonly view: 'processes'; readonly hostId: string }
  | { readonly view: 'terminal'; readonly hostId: string }
  | { readonly view: 'sessions' }
  | { readonly view: 'session'; readonly sessionId: string }
  | { readonly view: 'compare'; readonly before: string; readonly after: string };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  if (parts[0] === 'hosts' && parts[1] && parts[2] === 'processes') return { view: 'processes', hostId: decodeURIComponent(parts[1]) };
  if (parts[0] === 'hosts' && parts[1] && parts[2] === 'terminal') return { view: 'terminal', hostId: decodeURIComponent(parts[1]) };
  if (parts[0] === 'compare' && parts[1] && parts[2]) return { view: 'compare', before: decodeURIComponent(parts[1]), after: decodeURIComponent(parts[2]) };
  if (parts[0] === 'sessions' && parts[1]) return { view: 'session', sessionId: decodeURIComponent(parts[1]) };
  if (parts[0] === 'sessions') return { view: 'sessions' };
  return { view: 'hosts' };
}

export function href(route: Route): string {
  switch (route.view) {
    case 'hosts':
      return '#/hosts';
    case 'processes':
      return `#/hosts/${encodeURIComponent(route.hostId)}/processes`;
    case 'terminal':
      return `#/hosts/${encodeURIComponent(route.hostId)}/terminal`;
    case 'sessions':
      return '#/sessions';
    case 'session':
      return `#/sessions/${encodeURIComponent(route.sessionId)}`;
    case 'compare':
      return `#/compare/${encodeURIComponent(route.before)}/${encodeURIComponent(route.after)}`;
  }
}

export function navigate(route: Route): void {
  location.hash = href(route);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return route;
}
