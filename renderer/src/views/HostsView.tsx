import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { ConnectResult, ConnectionState, Host, ImportedHost } from '../../../shared/contract/api';
import type { Api } from '../../../shared/contract/client';
import type { ErrorReporter } from '../App';
import { navigate } from '../route';
import { hasFileDialog } from '../transport';

type KeyProblem = Exclude<ConnectResult, { status: 'connected' }>;

export function HostsView({ api, report }: { api: Api; report: ErrorReporter }) {
  const [hosts, setHosts] = useState<Host[]>([]);
  const [states, setStates] = useState<Record<string, { state: ConnectionState; reason: string | null }>>({});
  const [problem, setProblem] = useState<{ host: Host; result: KeyProblem } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const refresh = useCallback(() => api.call('hosts.list', {}).then(setHosts, report), [api, report]);
  useEffect(() => {
    void refresh();
    const off = api.on('ssh.state', (s) => setStates((prev) => ({ ...prev, [s.hostId]: { state: s.state, reason: s.reason } })));
    // The events of connections made before this view opened went by: ask for the live states once.
    // An event that arrives meanwhile is newer, so it wins over the answer.
    api.call('ssh.states', {}).then((live) => setStates((prev) => ({ ...Object.fromEntries(live.map((s) => [s.hostId, { state: s.state, reason: s.reason }])), ...prev })), report);
    return off;
  }, [api, refresh, report]);

  const connect = async (host: Host, then: 'processes' | 'terminal' = 'processes') => {
    setBusy(host.id);
    try {
      const result = await api.call('ssh.connect', { hostId: host.id });
      if (result.status === 'connected') navigate({ view: then, hostId: host.id });
      else setProblem({ host, result });
    } catch (err) {
      report(err);
    } finally {
      setBusy(null);
    }
  };

  const trust = async () => {
    if (!problem || problem.result.status !== 'unknown-host-key') return;
    const { host, result } = problem;
    setProblem(null);
    try {
      await api.call('hosts.trustKey', { hostId: host.id, keyBase64: result.presented.keyBase64, ...(result.hop ? { hop: result.hop } : {}) });
      await connect(host);
    } catch (err) {
      report(err);
    }
  };

  return (
    <section>
      <h1>Hosts</h1>
      <table className="table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Address</th>
            <th>State</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {hosts.length === 0 && (
            <tr>
              <td colSpan={4} className="muted">
                No hosts yet. Add one below.
              </td>
            </tr>
          )}
          {hosts.map((h) => (
            <tr key={h.id} data-testid="host-row">
              <td>{h.label}</td>
              <td className="mono">
                {h.user}@{h.hostname}:{h.port}
                {h.jump.length > 0 && <span className="muted"> via {h.jump.join(' → ')}</span>}
                {h.useSudo && <span className="badge">sudo -n</span>}
              </td>
              <td>
                <span className={`state state-${states[h.id]?.state ?? 'disconnected'}`} title={states[h.id]?.reason ?? ''}>
                  {states[h.id]?.state ?? 'disconnected'}
                </span>
              </td>
              <td className="actions">
                <button data-testid="host-connect" disabled={busy === h.id} onClick={() => void connect(h)}>
                  {busy === h.id ? 'Connecting…' : 'Connect'}
                </button>{' '}
                <button data-testid="host-terminal" disabled={busy === h.id} onClick={() => void connect(h, 'terminal')}>
                  Terminal
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <AddHostForm api={api} report={report} onAdded={() => void refresh()} />
      <ImportSshConfig api={api} report={report} onAdded={() => void refresh()} />
      {problem && <HostKeyDialog problem={problem} onTrust={() => void trust()} onCancel={() => setProblem(null)} />}
    </section>
  );
}

// identityFile is a path typed in browser mode, or the handle of a file chosen in the desktop app's dialog (identityName shows its name).
const EMPTY_FORM = { label: '', hostname: '', port: '22', user: '', identityFile: '', identityName: '', jump: '', strict: 'ask', useSudo: false };

function AddHostForm({ api, report, onAdded }: { api: Api; report: ErrorReporter; onAdded: () => void }) {
  const [form, setForm] = useState(EMPTY_FORM);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });
  const chooseIdentity = async () => {
    try {
      const r = await api.call('files.pick', { purpose: 'identity-file' });
      if (r.handle) setForm({ ...form, identityFile: r.handle, identityName: r.name });
    } catch (err) {
      report(err);
    }
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    try {
      await api.call('hosts.add', {
        label: form.label || form.hostname,
        hostname: form.hostname.trim(),
        port: Number(form.port) || 22,
        user: form.user.trim(),
        ...(form.identityFile.trim() ? { identityFile: form.identityFile.trim() } : {}),
        jump: form.jump
          .split(',')
          .map((j) => j.trim())
          .filter(Boolean),
        strictHostKeyChecking: form.strict as 'ask' | 'yes' | 'accept-new',
        useSudo: form.useSudo,
      });
      setForm(EMPTY_FORM);
      onAdded();
    } catch (err) {
      report(err);
    }
  };
  return (
    <form className="card form" data-testid="add-host-form" onSubmit={(e) => void submit(e)}>
      <h2>Add host</h2>
      <label>
        Name <input data-testid="host-label" value={form.label} onChange={set('label')} placeholder="prod-api-1" />
      </label>
      <label>
        Host name <input data-testid="host-hostname" value={form.hostname} onChange={set('hostname')} required placeholder="10.0.0.12 or api-1.example.com" />
      </label>
      <label>
        Port <input data-testid="host-port" value={form.port} onChange={set('port')} inputMode="numeric" />
      </label>
      <label>
        User <input data-testid="host-user" value={form.user} onChange={set('user')} required placeholder="sre" />
      </label>
      {hasFileDialog() ? (
        <label>
          Identity file{' '}
          <span className="mono" data-testid="host-identity-name">
            {form.identityName || 'none (ssh-agent or defaults)'}
          </span>{' '}
          <button type="button" data-testid="host-identity-choose" onClick={() => void chooseIdentity()}>
            Choose…
          </button>
          {form.identityFile && (
            <button type="button" onClick={() => setForm({ ...form, identityFile: '', identityName: '' })}>
              Clear
            </button>
          )}
        </label>
      ) : (
        <label>
          Identity file{' '}
          <input
            data-testid="host-identity"
            value={form.identityFile}
            onChange={set('identityFile')}
            placeholder="~/.ssh/id_ed25519 (blank: ssh-agent or defaults; browser mode: inside serve's --identity-dir)"
          />
        </label>
      )}
      <label>
        Jump hosts <input data-testid="host-jump" value={form.jump} onChange={set('jump')} placeholder="user@bastion:22, user@inner (ProxyJump order)" />
      </label>
      <label>
        Host key checking
        <select value={form.strict} onChange={set('strict')} data-testid="host-strict">
          <option value="ask">ask (default)</option>
          <option value="yes">yes: known_hosts only</option>
          <option value="accept-new">accept-new</option>
        </select>
      </label>
      <label className="check">
        <input type="checkbox" checked={form.useSudo} onChange={(e) => setForm({ ...form, useSudo: e.target.checked })} data-testid="host-sudo" /> Privileged reads with sudo -n
      </label>
      <button type="submit" data-testid="host-add-submit">
        Add host
      </button>
    </form>
  );
}

function ImportSshConfig({ api, report, onAdded }: { api: Api; report: ErrorReporter; onAdded: () => void }) {
  const [result, setResult] = useState<{ path: string; hosts: ImportedHost[]; warnings: string[] } | null>(null);
  const [added, setAdded] = useState<Set<string>>(new Set());
  const read = async () => {
    try {
      setResult(await api.call('sshConfig.read', {}));
    } catch (err) {
      report(err);
    }
  };
  const add = async (h: ImportedHost) => {
    try {
      await api.call('hosts.add', {
        label: h.alias,
        hostname: h.hostname,
        port: h.port,
        user: h.user ?? 'root',
        ...(h.identityFiles[0] ? { identityFile: h.identityFiles[0] } : {}),
        identitiesOnly: h.identitiesOnly,
        jump: h.proxyJump,
        strictHostKeyChecking: h.strictHostKeyChecking === 'yes' || h.strictHostKeyChecking === 'accept-new' ? h.strictHostKeyChecking : 'ask',
      });
      setAdded((a) => new Set(a).add(h.alias));
      onAdded();
    } catch (err) {
      report(err);
    }
  };
  return (
    <div className="card import-list">
      <h2>Import from ~/.ssh/config</h2>
      {!result && (
        <button onClick={() => void read()} data-testid="import-ssh-config">
          Read ~/.ssh/config
        </button>
      )}
      {result && (
        <>
          <div className="muted small">{result.path}</div>
          {result.warnings.map((w) => (
            <div key={w} className="unsupported">
              {w}
            </div>
          ))}
          <table className="table">
            <tbody>
              {result.hosts.map((h) => (
                <tr key={h.alias}>
                  <td className="mono">{h.alias}</td>
                  <td className="mono">
                    {h.user ?? '?'}@{h.hostname}:{h.port}
                    {h.proxyJump.length > 0 && <span className="muted"> via {h.proxyJump.join(' → ')}</span>}
                  </td>
                  <td>
                    {h.unsupported.map((u) => (
                      <div key={u} className="unsupported">
                        not supported: {u}
                      </div>
                    ))}
                  </td>
                  <td className="actions">
                    <button disabled={added.has(h.alias)} onClick={() => void add(h)}>
                      {added.has(h.alias) ? 'Added' : 'Add'}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}

function HostKeyDialog({ problem, onTrust, onCancel }: { problem: { host: Host; result: KeyProblem }; onTrust: () => void; onCancel: () => void }) {
  const { host, result } = problem;
  const target = `${host.hostname}:${host.port}`;
  // A jump host's key is named as that hop, never as the target.
  const where = result.hop && result.hop !== target ? `${result.hop} (a jump host on the way to ${target})` : target;
  if (result.status === 'unknown-host-key') {
    return (
      <div className="modal-backdrop">
        <div className="modal" role="dialog" aria-modal="true" data-testid="trust-dialog">
          <h2>Unknown host key</h2>
          <p>
            The authenticity of <span className="mono">{where}</span> cannot be established. Compare the fingerprint with the host's own (
            <span className="mono">ssh-keygen -lf /etc/ssh/ssh_host_{result.presented.keyType.replace(/^ssh-|ecdsa-sha2-/, '')}_key.pub</span>) before trusting it.
          </p>
          <dl className="kv">
            {result.hop && (
              <div>
                <dt>Hop</dt>
                <dd className="mono">{result.hop}</dd>
              </div>
            )}
            <dt>Key type</dt>
            <dd className="mono">{result.presented.keyType}</dd>
            <dt>Fingerprint</dt>
            <dd className="mono fingerprint" data-testid="trust-fingerprint">
              {result.presented.fingerprint}
            </dd>
          </dl>
          {result.notes?.map((n) => (
            <p key={n} className="muted small">
              {n}
            </p>
          ))}
          <div className="buttons">
            <button data-testid="trust-cancel" onClick={onCancel}>
              Cancel
            </button>
            {result.canTrust === false ? (
              <span className="muted">This host uses StrictHostKeyChecking=yes: add the key to ~/.ssh/known_hosts to connect.</span>
            ) : (
              <button className="primary" data-testid="trust-accept" onClick={onTrust}>
                Trust and connect
              </button>
            )}
          </div>
        </div>
      </div>
    );
  }
  return (
    <div className="modal-backdrop">
      <div className="modal refused" role="alertdialog" data-testid="hostkey-refused">
        <h2>{result.status === 'revoked-host-key' ? 'Host key revoked' : 'Host key changed — connection refused'}</h2>
        <p>
          {result.status === 'revoked-host-key'
            ? `The key presented by ${where} is marked @revoked in ${result.source}.`
            : `The key presented by ${where} is not the one on record. Someone may be intercepting the connection, or the host was re-keyed. Gopherscope will not connect.`}
        </p>
        <dl className="kv">
          <dt>Presented</dt>
          <dd className="mono">
            {result.presented.keyType} {result.presented.fingerprint}
          </dd>
          {result.status === 'changed-host-key' &&
            result.expected.map((e) => (
              <div key={e.source}>
                <dt>Expected</dt>
                <dd className="mono">
                  {e.keyType} {e.fingerprint} <span className="muted">({e.source})</span>
                </dd>
              </div>
            ))}
        </dl>
        <div className="buttons">
          <button onClick={onCancel}>Close</button>
        </div>
      </div>
    </div>
  );
}
