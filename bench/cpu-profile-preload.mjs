// Preloaded through NODE_OPTIONS (--import) by bench/terminal-profile.ts: profiles the whole
// process with the inspector and writes GS_CPU_PROFILE_DIR/backend.cpuprofile on SIGTERM.
import { Session } from 'node:inspector';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.GS_CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 500 }, () => session.post('Profiler.start')));
  process.prependOnceListener('SIGTERM', () => {
    session.post('Profiler.stop', (err, res) => {
      if (!err) {
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'backend.cpuprofile'), JSON.stringify(res.profile));
      }
    });
  });
}
