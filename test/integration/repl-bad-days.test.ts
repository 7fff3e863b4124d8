// The REPL's .fault and .clock commands, driven in-process against a real emulator.
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { startRepl } from '../../src/console/repl.js';
import { startEmulator } from '../../src/index.js';

test('.fault adds, lists and removes rules; .clock freezes, sets and advances; a bad rule prints its reason', async (t) => {
  const em = await startEmulator({ port: 0, appYaml: null });
  t.after(() => em.close());
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  output.on('data', (c: Buffer) => (text += c.toString('utf8')));
  const repl = startRepl({ control: em, input, output, appJid: 'dev-app@appspot.com', historyFile: null, console: false, color: false, terminal: false });
  input.end(
    [
      '.fault {"status":"OTHER_ERROR","jid":"bob@*","name":"bob away"}',
      '.fault {"status":"SOMETIMES"}',
      '.fault {"call":"send_message","status":"INVALID_JID","jid":"q@example.com","times":2}',
      '.fault',
      '.clock freeze',
      '.clock 2026-01-01T07:59:00Z',
      '.clock +60000',
      '.fault remove f1',
      '.fault remove f2',
      '.fault',
      '',
    ].join('\n'),
  );
  await repl.closed;
  assert.match(text, /^f1 \(bob away\): send_message for bob@\* → status OTHER_ERROR; every match, fired 0$/m);
  assert.match(text, /error: fault: "status" must be one of INVALID_JID, OTHER_ERROR/);
  // The listing shows each rule whole: what it matches, what it does, its scope, how often it fired.
  assert.match(text, /f1 \(bob away\): send_message for bob@\* → status OTHER_ERROR; every match, fired 0/);
  assert.match(text, /f2: send_message for q@example\.com → status INVALID_JID; at most 2 times, fired 0/);
  assert.match(text, /clock: 2026-01-01T08:00:00.000Z \(frozen\)/);
  assert.match(text, /removed f1\nremoved f2\n[^]*\(no fault rules\)/);
  assert.deepEqual(await em.listFaults(), []);
  assert.equal((await em.setClock()).now, '2026-01-01T08:00:00.000Z');
});
