// --record as a journal (issue 9 item 8): a call's line is written before the call takes effect; a call whose line
// cannot be written leaves no trace; recording resumes when the disk takes lines again. The disk here is a real file
// whose writes are made to fail the way a filling disk fails (part of a line written, then ENOSPC).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { once } from 'node:events';
import { test } from 'node:test';
import { JSON_CALL } from '../../../src/core/call-context.js';
import { Engine } from '../../../src/core/engine.js';
import type { EmulatorEvent } from '../../../src/core/events.js';
import { Transcript, type WriteSync } from '../../../src/core/transcript.js';
import { resolveOptions } from '../../../src/options.js';
import { tempPath } from '../../helpers.js';

/** A disk with `room` bytes left (Infinity: plenty): a write past it stores what fits, the next throws ENOSPC. */
function fillingDisk(): { write: WriteSync; room: number } {
  const disk = {
    room: Infinity,
    write: (fd: number, buffer: Buffer, offset: number, length: number): number => {
      if (disk.room <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      const n = Math.min(length, disk.room);
      disk.room -= n;
      return fs.writeSync(fd, buffer, offset, n);
    },
  };
  return disk;
}

function recorded(file: string): EmulatorEvent[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as EmulatorEvent);
}

test('a call is written before it takes effect; one that cannot be written leaves no trace; recording resumes when the disk frees up', async () => {
  const file = tempPath('transcript', 'journal.jsonl');
  const engine = new Engine(resolveOptions({ port: 0, console: false }));
  const disk = fillingDisk();
  const journal = new Transcript(file, (body) => engine.emit(body), disk.write);
  engine.space.journal = journal;
  const heard: EmulatorEvent[] = [];
  // Whoever hears a sent event finds its line already in the file, and its entry already in the outbox.
  engine.onEvent((e) => {
    heard.push(e);
    if (e.type !== 'sent') return;
    assert.ok(
      recorded(file).some((r) => r.seq === e.seq && r.type === 'sent'),
      'the line is written before the event is heard',
    );
    assert.equal(engine.outboxStore.lastId, e.entry.id);
  });

  engine.sendMessage({ jids: 'alice@example.com', body: 'one' });
  const quotas = engine.quotas.snapshot().total;
  const size = fs.statSync(file).size;

  // The disk fills in the middle of the next line: the call is refused, the cut line is taken back out.
  disk.room = 10;
  assert.throws(
    () => engine.sendMessage({ jids: 'alice@example.com', body: 'two' }),
    (e: Error & { code?: string }) => e.code === 'UNSPECIFIED_ERROR' && /cannot be written to the transcript .* \(ENOSPC\)/.test(e.message),
  );
  assert.throws(() => engine.sendInvite({ jid: 'bob@example.com' }), /ENOSPC/);
  await assert.rejects(engine.injectMessage({ from: 'carol@example.com', to: 'my-app@appspot.com', body: 'hi' }), /ENOSPC/);
  assert.equal(fs.statSync(file).size, size, 'no part of a refused line stays in the file');
  assert.equal(engine.outboxStore.lastId, 1);
  assert.deepEqual(engine.quotas.snapshot().total, quotas, 'nothing charged');
  assert.equal(engine.presenceBook.isInvited('bob@example.com'), false);
  assert.deepEqual(
    heard.filter((e) => e.type === 'sent' || e.type === 'delivered').map((e) => e.seq),
    [1],
    'nothing refused was heard',
  );
  // A read goes on (it changes nothing): get_presence answers; its call line is missing and counted on resuming.
  const read = engine.call('get_presence', { jid: 'alice@example.com' }, JSON_CALL) as { presence: unknown[] };
  assert.equal(read.presence.length, 1);
  assert.equal(fs.statSync(file).size, size, "the read's line is not in the file");

  // The disk frees up: the next call is recorded, with the next id, and a config event says what is missing.
  disk.room = Infinity;
  const resumed = once(engine.space.bus, 'event');
  const three = engine.sendMessage({ jids: 'alice@example.com', body: 'three' });
  assert.equal(three.entry.id, 2);
  const [note] = (await resumed) as [EmulatorEvent];
  assert.equal(note.type, 'sent');
  const config = await new Promise<EmulatorEvent>((resolve) => {
    const off = engine.onEvent((e) => e.type === 'config' && e.ok && (off(), resolve(e)));
  });
  assert.match((config as { message: string }).message, /resumed; .*\(ENOSPC\): 3 calls were refused, 1 other event is missing/);
  const lines = recorded(file);
  assert.deepEqual(
    lines.filter((e) => e.type === 'sent').map((e) => (e as { entry: { body?: string } }).entry.body),
    ['one', 'three'],
  );
  assert.ok(
    lines.some((e) => e.type === 'config' && e.ok),
    'the resumption note is in the file',
  );
  journal.close();
  await engine.close();
});
