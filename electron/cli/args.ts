import { parseTargetSpec } from '../core/targetSpec';

/** Minimal argv parsing: positionals plus --flag VALUE / --flag=VALUE / --switch. */
export interface ParsedArgs {
  readonly positionals: string[];
  readonly flags: Map<string, string | true>;
}

export function parseArgs(argv: readonly string[], switches: ReadonlySet<string>): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (eq > 0) flags.set(name, a.slice(eq + 1));
      else if (switches.has(name)) flags.set(name, true);
      else {
        const v = argv[i + 1];
        if (v === undefined) throw new UsageError(`--${name} needs a value`);
        flags.set(name, v);
        i++;
      }
    } else positionals.push(a);
  }
  return { positionals, flags };
}

export class UsageError extends Error {}

/** [user@]host[:port], with [v6]:port accepted. */
export function parseTarget(spec: string, defaultUser: string): { user: string; hostname: string; port: number } {
  const t = parseTargetSpec(spec, defaultUser);
  if (!t) throw new UsageError(`cannot read target ${JSON.stringify(spec)}; expected [user@]host[:port]`);
  return t;
}
