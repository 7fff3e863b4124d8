// A long plain body kept as bytes (off the V8 heap) reads as the same entry as the plain object it replaces, to every
// generic reader: JSON, spread, keys, deep equality, structured clone, util.inspect; and the byte counts that bound
// the outbox and the history count it as the string it stands for.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { bodyBytesOf, bodyHead, bodyLength, keepBodyOffHeap, withEmptyBody } from '../../../src/core/body-bytes.js';
import { eventJson, eventJsonParts } from '../../../src/core/event-json.js';
import type { EmulatorEvent, OutboxEntry } from '../../../src/core/events.js';
import { approxBytes } from '../../../src/core/history.js';
import { entryBytes } from '../../../src/core/outbox.js';
import { formatLine } from '../../../src/console/line.js';
import { chalkFor, formatEvent } from '../../../src/console/printer.js';

const BODY = 'Someone has sent you a gift on <Example.com> & more. '.repeat(1000);

const plainEntry = (body = BODY): OutboxEntry => ({
  id: 7,
  time: '2026-11-24T07:00:00.000Z',
  kind: 'message',
  from: 'app@appspot.com/"body":""',
  to: ['alice@example.com'],
  body,
  type: 'chat',
  raw_xml: false,
  statuses: [0],
  version: null,
  protocol: 'json',
  in_reply_to: 'd-1',
});

const sent = (entry: OutboxEntry): EmulatorEvent => ({ type: 'sent', entry, seq: 3, time: entry.time }) as EmulatorEvent;

test('a kept entry reads as the plain entry to every generic reader', () => {
  const plain = plainEntry();
  const kept = keepBodyOffHeap(plainEntry());
  assert.ok(bodyBytesOf(kept), 'the body is kept as bytes');
  assert.equal(bodyBytesOf(plain), undefined);
  assert.equal(kept.body, BODY);
  assert.deepEqual(Object.keys(kept), Object.keys(plain));
  assert.equal(JSON.stringify(kept), JSON.stringify(plain));
  assert.deepStrictEqual(kept, plain);
  assert.deepStrictEqual({ ...kept }, plain);
  assert.deepStrictEqual(structuredClone(kept), plain);
  assert.deepStrictEqual(Object.entries(kept), Object.entries(plain));
  for (const options of [{}, { depth: 0 }, { colors: true }, { breakLength: Infinity, maxStringLength: 20 }]) {
    assert.equal(inspect(kept, options), inspect(plain, options));
    assert.equal(inspect([kept], options), inspect([plain], options));
  }
  assert.doesNotMatch(inspect(kept), /Getter/);
  // Changed by its reader, it is a plain entry again.
  kept.body = 'changed';
  assert.equal(kept.body, 'changed');
  assert.equal(bodyBytesOf(kept), undefined);
  assert.equal(JSON.stringify(kept), JSON.stringify({ ...plain, body: 'changed' }));
});

test('its bytes are an allocation of their own, exactly the body', () => {
  const bytes = bodyBytesOf(keepBodyOffHeap(plainEntry()))!;
  assert.equal(bytes.toString('latin1'), BODY);
  // Not a view into a pooled slab or a request's bytes, which would keep more alive than the outbox counts.
  assert.equal(bytes.byteOffset, 0);
  assert.equal(bytes.buffer.byteLength, BODY.length);
});

test('the byte counts, lengths, heads and event JSON of a kept entry are the plain entry’s', () => {
  const plain = plainEntry();
  const kept = keepBodyOffHeap(plainEntry());
  assert.equal(entryBytes(kept), entryBytes(plain));
  assert.equal(approxBytes(sent(kept)), approxBytes(sent(plain)));
  assert.equal(bodyLength(kept), BODY.length);
  for (const end of [0, 1, 80, BODY.length - 1, BODY.length, BODY.length + 5]) assert.equal(bodyHead(kept, end), BODY.slice(0, end));
  assert.deepStrictEqual(withEmptyBody(kept), { ...plain, body: '' });
  assert.deepEqual(Object.keys(withEmptyBody(kept)), Object.keys(plain));
  // The event's JSON, whole or in pieces around the bytes, is JSON.stringify's text.
  const event = sent(kept);
  assert.equal(eventJson(event), JSON.stringify(sent(plain)));
  const parts = eventJsonParts(event);
  assert.ok(typeof parts !== 'string', 'spliced around the bytes');
  assert.equal(parts.body, bodyBytesOf(kept));
  assert.equal(`${parts.head}${parts.body.toString('latin1')}${parts.tail}`, JSON.stringify(sent(plain)));
  // The console lines, human and dev-server style, in every width.
  for (const color of [false, true]) {
    const c = chalkFor(color);
    for (const width of [40, 80, 200, 100_000]) assert.equal(formatLine(sent(kept), c, width), formatLine(sent(plain), c, width));
    assert.equal(formatEvent(sent(kept), c), formatEvent(sent(plain), c));
  }
});
