// One of several parallel test workers: drives its own namespace of a shared emulator (clock, faults, traffic) and
// reports what it sees there. Run by test/integration/namespaces.test.ts as a child process.
import { RemoteControl } from '../src/control/remote.js';

const [url, name, index] = process.argv.slice(2) as [string, string, string];
const port = new RemoteControl(url).namespace(name);
const user = `user-${name}@example.com`;
const year = 2030 + Number(index);
await port.setClock({ freeze: true });
await port.setClock({ set: `${year}-01-01T00:00:00Z` });
// Odd workers make every send fail for their recipients; even ones must never see that.
if (Number(index) % 2 === 1) await port.addFault({ status: 'OTHER_ERROR' });
const ROUNDS = 12;
for (let i = 0; i < ROUNDS; i++) {
  const r = await port.injectMessage({ from: user, body: `${name} says ${i}` });
  if (!r.delivered) throw new Error(`delivery ${i} failed: ${r.reason}`);
}
const entries = await port.outbox();
process.stdout.write(
  JSON.stringify({
    name,
    count: entries.length,
    foreign: entries.filter((e) => !e.to.every((t) => t === user) || !e.body?.startsWith(`You said: ${name} says `)).length,
    years: [...new Set(entries.map((e) => e.time.slice(0, 4)))],
    statuses: [...new Set(entries.flatMap((e) => e.statuses ?? []))],
    faults: (await port.listFaults()).length,
  }),
);
