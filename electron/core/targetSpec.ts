/** [user@]host[:port] as ssh and ProxyJump write it, with [v6]:port accepted. */
export function parseTargetSpec(spec: string, defaultUser: string): { user: string; hostname: string; port: number } | undefined {
  const at = spec.lastIndexOf('@');
  const user = at >= 0 ? spec.slice(0, at) : defaultUser;
  let rest = at >= 0 ? spec.slice(at + 1) : spec;
  let port = 22;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  if (v6) {
    rest = v6[1]!;
    if (v6[2]) port = Number(v6[2]);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon > 0 && rest.indexOf(':') === colon) {
      port = Number(rest.slice(colon + 1));
      rest = rest.slice(0, colon);
    }
  }
  if (!rest || !user || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { user, hostname: rest, port };
}
