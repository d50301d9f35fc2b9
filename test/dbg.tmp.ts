import { writeFileSync } from 'node:fs';
import { startSshd } from '/work/main/test/lab/sshd';
const s = await startSshd();
writeFileSync('/tmp/sd.env', `P=${s.port}\nK=${s.clientKeyPath}\nU=${s.user}\nL="${s.hostPublicKeyLine}"\n`);
setTimeout(() => s.stop(), 90_000);
