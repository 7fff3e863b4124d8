// A node:test file whose tests overlap ({ concurrency: 4 }) and call the per-test emulator while others start and
// end (the "current test" is then sometimes ambiguous, and the call refuses). Run by test/integration/per-test.test.ts:
// when it is done, every namespace it made must be gone.
import { describe, test } from 'node:test';
import { emulatorPerTest } from '../src/testing.js';

const emulator = emulatorPerTest(process.env.EMULATOR_URL!);

describe('overlapping tests', { concurrency: 4 }, () => {
  for (const k of [1, 2, 3, 4]) {
    test(`t${k}`, async () => {
      for (let i = 0; i < k; i++) await emulator.outbox().catch(() => undefined);
    });
  }
});
