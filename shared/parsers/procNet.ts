/**
 * /proc/PID/net/tcp and tcp6 plus the process's fd links: which TCP ports
 * the process itself listens on. The net files list every socket in the
 * network namespace; only inodes the process holds (socket:[N] in its fd
 * table) are its own.
 */
import { failed, parsed, type ParseResult, type ParseWarning } from './result';

export interface TcpSocket {
  readonly localAddress: string;
  readonly localPort: number;
  readonly state: string;
  readonly inode: number;
  readonly listening: boolean;
  readonly loopback: boolean;
}

const STATES: Record<string, string> = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
};

function ipv4(hex: string): string {
  // little-endian 32-bit in /proc/net/tcp
  const n = Number.parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join('.');
}

function ipv6(hex: string): string {
  const words: string[] = [];
  for (let i = 0; i < 32; i += 8) {
    const w = hex.slice(i, i + 8);
    // each 32-bit word is little-endian
    const bytes = [w.slice(6, 8), w.slice(4, 6), w.slice(2, 4), w.slice(0, 2)];
    words.push(bytes[0]! + bytes[1]!, bytes[2]! + bytes[3]!);
  }
  return words.map((x) => x.replace(/^0+(?=.)/, '').toLowerCase()).join(':');
}

export function parseProcNetTcp(text: string): ParseResult<TcpSocket[]> {
  const lines = text.split('\n');
  if (!/^\s*sl\s+local_address/.test(lines[0] ?? '')) return failed({ message: 'expected the "sl local_address rem_address" header of /proc/net/tcp', line: 1 });
  const sockets: TcpSocket[] = [];
  const warnings: ParseWarning[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line.length === 0) continue;
    const f = line.split(/\s+/);
    const local = f[1] ?? '';
    const colon = local.indexOf(':');
    const inode = Number(f[9]);
    if (colon < 0 || !Number.isFinite(inode)) {
      if (warnings.length < 50) warnings.push({ message: 'unreadable socket line', line: i + 1 });
      continue;
    }
    const addrHex = local.slice(0, colon);
    const localAddress = addrHex.length === 8 ? ipv4(addrHex) : ipv6(addrHex);
    const state = STATES[(f[3] ?? '').toUpperCase()] ?? f[3] ?? '?';
    sockets.push({
      localAddress,
      localPort: Number.parseInt(local.slice(colon + 1), 16),
      state,
      inode,
      listening: state === 'LISTEN',
      loopback: localAddress.startsWith('127.') || localAddress === '0:0:0:0:0:0:0:1' || localAddress === '::1',
    });
  }
  return parsed(sockets, warnings);
}

/** socket:[inode] targets from `ls -l /proc/PID/fd`. */
export function socketInodes(fdListing: string): Set<number> {
  const out = new Set<number>();
  for (const m of fdListing.matchAll(/socket:\[(\d+)\]/g)) out.add(Number(m[1]));
  return out;
}

/** The TCP ports this process listens on, loopback first (where a pprof endpoint usually is). */
export function listeningPortsOf(netTexts: readonly string[], fdListing: string): number[] {
  const mine = socketInodes(fdListing);
  const found: TcpSocket[] = [];
  for (const text of netTexts) {
    const r = parseProcNetTcp(text);
    if (r.ok) found.push(...r.value.filter((s) => s.listening && mine.has(s.inode)));
  }
  found.sort((a, b) => Number(b.loopback) - Number(a.loopback) || a.localPort - b.localPort);
  return [...new Set(found.map((s) => s.localPort))];
}
