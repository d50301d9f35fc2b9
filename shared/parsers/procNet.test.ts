import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { listeningPortsOf, parseProcNetTcp } from './procNet';

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:B1A5 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0
   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5151 1 0000000000000000 100 0 0 10 0
   2: 0100007F:B1A5 0100007F:D2C2 01 00000000:00000000 00:00000000 00000000     0        0 6161 1 0000000000000000 20 4 30 10 -1
   3: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 7777 1 0000000000000000 100 0 0 10 0
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:2382 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 9191 1 0000000000000000 100 0 0 10 0
`;
const FD = `total 0
lrwx------ 1 root root 64 Nov 22 16:32 0 -> /dev/null
lrwx------ 1 root root 64 Nov 22 16:32 3 -> socket:[4242]
lrwx------ 1 root root 64 Nov 22 16:32 4 -> socket:[5151]
lrwx------ 1 root root 64 Nov 22 16:32 5 -> socket:[6161]
lrwx------ 1 root root 64 Nov 22 16:32 6 -> socket:[9191]
`;

test('addresses, ports and states decode as the kernel writes them', () => {
  const r = parseProcNetTcp(TCP);
  assert.ok(r.ok);
  assert.deepEqual(
    r.value.map((s) => [s.localAddress, s.localPort, s.state]),
    [
      ['127.0.0.1', 45477, 'LISTEN'],
      ['0.0.0.0', 8080, 'LISTEN'],
      ['127.0.0.1', 45477, 'ESTABLISHED'],
      ['0.0.0.0', 22, 'LISTEN'],
    ],
  );
  const v6 = parseProcNetTcp(TCP6);
  assert.ok(v6.ok && v6.value[0]!.localAddress === '0:0:0:0:0:0:0:1' && v6.value[0]!.loopback);
});

test('only the listening sockets the process holds, loopback first', () => {
  assert.deepEqual(listeningPortsOf([TCP, TCP6], FD), [9090, 45477, 8080]);
});

test('junk gives a positioned error or warnings, never a throw', () => {
  const r = parseProcNetTcp('hello');
  assert.ok(!r.ok && r.error.line === 1);
  fc.assert(
    fc.property(fc.string({ maxLength: 3000 }), (t) => void parseProcNetTcp(`  sl  local_address rem\n${t}`)),
    { numRuns: 300 },
  );
});
