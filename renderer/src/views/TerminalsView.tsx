import { useEffect, useRef, useState } from 'react';
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { SearchAddon } from '@xterm/addon-search';
import { WebLinksAddon } from '@xterm/addon-web-links';
import '@xterm/xterm/css/xterm.css';
import type { Api } from '../../../shared/contract/client';
import type { ErrorReporter } from '../App';
import { TerminalWriter } from './terminalWriter';
import type { TerminalPaneElement } from './terminalProbe';
import { attachRenderer, RENDERER_CHOICES, rendererLabel, type RendererChoice, type RendererInfo } from './terminalRenderer';

/**
 * Holds xterm's drawing the way DEC mode 2026 (synchronized output) does, but between writes, so
 * nothing is injected into the byte stream (a sequence split across two events stays intact).
 * Reaches into xterm's core: null if this xterm has no such mode, and then nothing is paced.
 */
function drawingHold(t: Terminal): ((hold: boolean) => void) | null {
  const core = (t as unknown as { _core?: { coreService?: { decPrivateModes?: { synchronizedOutput?: unknown } } } })._core?.coreService;
  if (typeof core?.decPrivateModes?.synchronizedOutput !== 'boolean') return null;
  return (hold) => {
    // Looked up each time: a terminal reset (RIS) replaces the modes object.
    const modes = core.decPrivateModes;
    if (modes) modes.synchronizedOutput = hold;
    if (!hold) t.refresh(0, t.rows - 1);
  };
}

const RENDERER_KEY = 'gs.terminal.renderer';

function storedChoice(): RendererChoice {
  const v = localStorage.getItem(RENDERER_KEY);
  return RENDERER_CHOICES.includes(v as RendererChoice) ? (v as RendererChoice) : 'auto';
}

interface Tab {
  readonly terminalId: string;
  readonly title: string;
  exited: string | null;
}

export function TerminalsView({ api, hostId, report }: { api: Api; hostId: string; report: ErrorReporter }) {
  const [tabs, setTabs] = useState<Tab[]>([]);
  const [active, setActive] = useState<string | null>(null);
  const opened = useRef(false);

  const open = async () => {
    try {
      const { terminalId } = await api.call('terminal.open', { hostId, cols: 80, rows: 24 });
      setTabs((t) => [...t, { terminalId, title: `Shell ${t.length + 1}`, exited: null }]);
      setActive(terminalId);
    } catch (err) {
      report(err);
    }
  };

  useEffect(() => {
    if (!opened.current) {
      opened.current = true;
      void open();
    }
    return api.on('terminal.exit', (e) => setTabs((t) => t.map((x) => (x.terminalId === e.terminalId ? { ...x, exited: e.reason } : x))));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, hostId]);

  useEffect(
    () => () => {
      for (const t of tabs) void api.call('terminal.close', { terminalId: t.terminalId }).catch(() => undefined);
    },
    // close every shell when the view goes away
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [],
  );

  const close = (id: string) => {
    void api.call('terminal.close', { terminalId: id }).catch(() => undefined);
    setTabs((t) => t.filter((x) => x.terminalId !== id));
    setActive((a) => (a === id ? (tabs.find((x) => x.terminalId !== id)?.terminalId ?? null) : a));
  };

  return (
    <section className="terminals">
      <div className="tabs" role="tablist">
        {tabs.map((t) => (
          <div key={t.terminalId} className={`tab ${t.terminalId === active ? 'active' : ''}`} role="tab" data-testid="terminal-tab" onClick={() => setActive(t.terminalId)}>
            {t.title}
            {t.exited && <span className="muted"> (ended)</span>}
            <button className="tab-close" aria-label="Close terminal" onClick={(e) => (e.stopPropagation(), close(t.terminalId))}>
              ×
            </button>
          </div>
        ))}
        <button data-testid="terminal-new" onClick={() => void open()}>
          + New terminal
        </button>
      </div>
      {tabs.map((t) => (
        <TerminalPane key={t.terminalId} api={api} terminalId={t.terminalId} visible={t.terminalId === active} exited={t.exited} report={report} />
      ))}
    </section>
  );
}

function TerminalPane({ api, terminalId, visible, exited, report }: { api: Api; terminalId: string; visible: boolean; exited: string | null; report: ErrorReporter }) {
  const host = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState({ cols: 80, rows: 24 });
  const [searching, setSearching] = useState(false);
  const [query, setQuery] = useState('');
  const [renderer, setRenderer] = useState<RendererInfo | null>(null);
  const [choice, setChoice] = useState<RendererChoice>(storedChoice);
  const pane = useRef<TerminalPaneElement>(null);
  const search = useRef<SearchAddon | null>(null);
  const term = useRef<Terminal | null>(null);
  const fit = useRef<FitAddon | null>(null);

  useEffect(() => {
    // No blinking cursor: the DOM renderer blinks with a CSS animation that asks for a frame 60 times a
    // second, idle or not (bench/terminal-profile.ts: 5 s idle cost the renderer 780 ms of CPU, 300 without).
    const t = new Terminal({ fontSize: 13, fontFamily: 'ui-monospace, Menlo, Consolas, monospace', scrollback: 5000, allowProposedApi: false, cursorBlink: false });
    const f = new FitAddon();
    const s = new SearchAddon();
    t.loadAddon(f);
    t.loadAddon(s);
    t.loadAddon(new WebLinksAddon());
    t.open(host.current!);
    term.current = t;
    fit.current = f;
    search.current = s;
    const ack = (chars: number) => void api.call('terminal.ack', { terminalId, chars }).catch(() => undefined);
    const writer = new TerminalWriter({
      write: (data, parsed) => t.write(data, parsed),
      holdDrawing: drawingHold(t),
      afterRender: (cb) => {
        const sub = t.onRender(() => {
          sub.dispose();
          cb();
        });
      },
      now: () => performance.now(),
      schedule: (cb, ms) => {
        const timer = setTimeout(cb, ms);
        return () => clearTimeout(timer);
      },
      ack,
    });
    const rendered = t.onRender(() => writer.stats.renders++);
    const taps = new Set<(data: string) => void>();
    const offData = api.on('terminal.data', (d) => {
      if (d.terminalId !== terminalId) return;
      for (const tap of taps) tap(d.data);
      writer.push(d.data);
    });
    const screenText = () => {
      const b = t.buffer.active;
      const lines: string[] = [];
      for (let y = b.viewportY; y < b.viewportY + t.rows; y++) lines.push(b.getLine(y)?.translateToString(true) ?? '');
      return lines.join('\n');
    };
    pane.current!.gsTerminal = {
      screenText,
      whenShown: (text) =>
        new Promise<void>((resolve) => {
          if (screenText().includes(text)) return resolve();
          const sub = t.onRender(() => {
            if (!screenText().includes(text)) return;
            sub.dispose();
            resolve();
          });
        }),
      stats: writer.stats,
      flow: () => api.call('terminal.flow', { terminalId }),
      tap: (listener) => {
        taps.add(listener);
        return () => taps.delete(listener);
      },
    };
    // Flush small acknowledgements too, so a quiet shell never sits just under the batch size.
    const ackTimer = setInterval(() => writer.flushAck(), 250);
    const input = t.onData((data) => void api.call('terminal.input', { terminalId, data }).catch(report));
    const resize = t.onResize(({ cols, rows }) => {
      setSize({ cols, rows });
      void api.call('terminal.resize', { terminalId, cols, rows }).catch(() => undefined);
    });
    t.attachCustomKeyEventHandler((e) => {
      if (e.type !== 'keydown') return true;
      if (e.ctrlKey && e.shiftKey && e.code === 'KeyC') {
        const sel = t.getSelection();
        if (sel) void navigator.clipboard?.writeText(sel);
        return false;
      }
      if (e.ctrlKey && e.shiftKey && e.code === 'KeyV') {
        void navigator.clipboard?.readText().then((text) => t.paste(text));
        return false;
      }
      if (e.ctrlKey && e.shiftKey && e.code === 'KeyF') {
        setSearching(true);
        return false;
      }
      return true;
    });
    const observer = new ResizeObserver(() => {
      if (host.current && host.current.offsetParent !== null) f.fit();
    });
    observer.observe(host.current!);
    f.fit();
    return () => {
      observer.disconnect();
      clearInterval(ackTimer);
      offData();
      writer.dispose();
      rendered.dispose();
      input.dispose();
      resize.dispose();
      t.dispose();
    };
  }, [api, terminalId, report]);

  // Declared after the effect that makes the terminal, so it runs after it; the same deps make it attach again to a new terminal.
  useEffect(() => (term.current ? attachRenderer(term.current, choice, setRenderer) : undefined), [api, terminalId, report, choice]);

  useEffect(() => {
    if (visible) {
      fit.current?.fit();
      term.current?.focus();
    }
  }, [visible]);

  return (
    <div
      ref={pane}
      className="terminal-pane"
      data-renderer={renderer?.kind}
      style={{ display: visible ? 'flex' : 'none' }}
      data-testid="terminal"
      data-terminal-id={terminalId}
      data-cols={size.cols}
      data-rows={size.rows}
    >
      <div className="terminal-bar">
        <span className="muted">
          {size.cols}×{size.rows}
          {exited ? ` — ${exited}` : ''}
        </span>
        <label className="muted small">
          Renderer{' '}
          <select
            value={choice}
            data-testid="terminal-renderer-choice"
            onChange={(e) => {
              const c = e.target.value as RendererChoice;
              localStorage.setItem(RENDERER_KEY, c);
              setChoice(c);
            }}
          >
            <option value="auto">auto</option>
            <option value="webgl">WebGL</option>
            <option value="dom">DOM</option>
          </select>
        </label>
        {renderer && (
          <span className="muted small" data-testid="terminal-renderer" title={renderer.kind === 'webgl' ? renderer.gl : undefined}>
            {rendererLabel(renderer)}
          </span>
        )}
        <span className="muted small">Ctrl+Shift+C copy · Ctrl+Shift+V paste · Ctrl+Shift+F search</span>
        {searching && (
          <span className="search">
            <input
              autoFocus
              value={query}
              placeholder="Search"
              data-testid="terminal-search"
              onChange={(e) => {
                setQuery(e.target.value);
                search.current?.findNext(e.target.value, { incremental: true });
              }}
              onKeyDown={(e) => {
                if (e.key === 'Enter') search.current?.findNext(query);
                if (e.key === 'Escape') {
                  setSearching(false);
                  term.current?.focus();
                }
              }}
            />
          </span>
        )}
      </div>
      <div className="terminal-host" ref={host} />
    </div>
  );
}
