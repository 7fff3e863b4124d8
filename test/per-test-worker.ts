// A test file as a user writes one: node:test, emulatorPerTest(), no namespace named anywhere. Run by
// test/integration/per-test.test.ts as several `node --test` processes at once against one emulator (EMULATOR_URL)
// and the sample bot; WORKER tells the processes apart.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emulatorPerTest } from '../src/testing.js';

const emulator = emulatorPerTest(process.env.EMULATOR_URL!);
const worker = process.env.WORKER!;
const seen = new Set<string>();

for (const round of [1, 2, 3]) {
  test(`worker ${worker}, test ${round}: sees only its own entries, faults and clock`, async () => {
    assert.ok(!seen.has(emulator.namespace), 'a fresh namespace for each test');
    seen.add(emulator.namespace);
    const user = `user-${worker}-${round}@example.com`;
    assert.deepEqual(await emulator.outbox(), [], 'it starts empty');
    assert.deepEqual(await emulator.listFaults(), []);
    assert.equal((await emulator.setClock()).frozen, false);
    await emulator.setClock({ freeze: true });
    await emulator.setClock({ set: `${2040 + round}-01-01T00:00:00Z` });
    if (round === 2) await emulator.addFault({ status: 'OTHER_ERROR', jid: user });
    for (let i = 0; i < 4; i++) {
      const delivery = await emulator.injectMessage({ from: user, body: `/echo ${worker}.${round}.${i}` });
      assert.equal(delivery.delivered, true, delivery.reason);
    }
    await emulator.expectSequence({ steps: [0, 1, 2, 3].map((i) => ({ to: user, contains: `${worker}.${round}.${i}` })), timeoutMs: 10_000 });
    const entries = await emulator.outbox();
    assert.deepEqual(
      entries.map((e) => [e.to.join(), e.body, e.time.slice(0, 4), e.statuses?.join()]),
      [0, 1, 2, 3].map((i) => [user, `${worker}.${round}.${i}`, String(2040 + round), round === 2 ? '2' : '0']),
    );
  });
}
