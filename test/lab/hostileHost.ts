/**
 * A hostile host: a real OpenSSH sshd whose ForceCommand answers
 * Gopherscope's capture bundle with a crafted framed stream and runs every
 * other command as sent (so the process probe and Go detection read the real
 * /proc). The stream is POSIX sh in which $N is the capture's nonce, taken
 * from the script the client sent, as a compromised host could.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSshd, type Sshd } from './sshd';

/** sh that prints one framed artifact with this body (base64 has no quote, so it sits in single quotes). */
export function shFrame(name: string, body: Buffer | string, rc = 0): string {
  const b64 = Buffer.from(body)
    .toString('base64')
    .replace(/(.{76})/g, '$1\n');
  const quoted = `'${name.replace(/'/g, `'\\''`)}'`;
  return [`printf '@@GS1 %s BEGIN %s\\n' "$N" ${quoted}`, `printf '%s\\n' '${b64}'`, `printf '@@GS1 %s END %s rc=${rc}\\n' "$N" ${quoted}`].join('\n');
}

export const shDone = `printf '@@GS1 %s DONE\\n' "$N"`;

export async function startHostileSshd(stream: string): Promise<Sshd> {
  const dir = mkdtempSync(join(tmpdir(), 'gs-hostile-'));
  chmodSync(dir, 0o755);
  const script = join(dir, 'collector.sh');
  writeFileSync(
    script,
    [
      '#!/bin/sh',
      'case "$SSH_ORIGINAL_COMMAND" in',
      "  *'gs_out system/uname'*) ;;",
      '  *) exec /bin/sh -c "$SSH_ORIGINAL_COMMAND" ;;',
      'esac',
      `N=$(printf '%s\\n' "$SSH_ORIGINAL_COMMAND" | sed -n 's/^N=\\([0-9a-f]*\\)$/\\1/p' | head -n 1)`,
      stream,
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  const sshd = await startSshd({ extraConfig: [`ForceCommand ${script}`] });
  return {
    ...sshd,
    async stop() {
      await sshd.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
