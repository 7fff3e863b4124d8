import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Outbox } from '../../src/core/outbox.js';

const msg = (to: string, body: string) => ({ time: '', kind: 'message' as const, from: 'app@appspot.com/bot', to: [to], body, version: null, protocol: 'json' as const, in_reply_to: null });

test('the cap holds and drops are counted', () => {
  const o = new Outbox(3);
  for (let i = 0; i < 5; i++) o.add(msg('a@b.c', `m${i}`));
  assert.deepEqual(o.list().map((e) => e.body), ['m2', 'm3', 'm4']);
  assert.deepEqual(o.stats(), { size: 3, cap: 3, dropped: 2, total: 5, last_id: 5 });
});

test('filters: to (bare matches resources), from, kind, contains, matches, since', () => {
  const o = new Outbox(100);
  o.add(msg('alice@example.com/phone', 'Hello Alice'));
  o.add(msg('bob@example.com', 'Hello Bob'));
  o.add({ time: '', kind: 'invite', from: 'app@appspot.com/bot', to: ['carol@example.com'], version: null, protocol: 'json', in_reply_to: null });
  assert.deepEqual(o.list({ to: 'alice@example.com' }).map((e) => e.id), [1]);
  assert.deepEqual(o.list({ to: 'alice@example.com/laptop' }).map((e) => e.id), []);
  assert.deepEqual(o.list({ kind: 'invite' }).map((e) => e.id), [3]);
  assert.deepEqual(o.list({ contains: 'Bob' }).map((e) => e.id), [2]);
  assert.deepEqual(o.list({ matches: /^Hello [AB]/ }).map((e) => e.id), [1, 2]);
  assert.deepEqual(o.list({ since: 1 }).map((e) => e.id), [2, 3]);
  assert.deepEqual(o.list({ from: 'app@appspot.com' }).length, 3);
});

test('wait resolves with an entry that arrives later, or null at the time-out', async () => {
  const o = new Outbox(10);
  const waiting = o.wait({ to: 'alice@example.com', contains: 'yes' }, 5000);
  o.add(msg('alice@example.com', 'no'));
  o.add(msg('alice@example.com', 'yes please'));
  assert.equal((await waiting)?.body, 'yes please');
  assert.equal(await o.wait({ contains: 'never' }, 20), null);
  const aborted = new AbortController();
  const w = o.wait({ contains: 'never' }, 60_000, aborted.signal);
  aborted.abort();
  assert.equal(await w, null);
});

test('the ring keeps order across many wraps and after a clear', () => {
  const o = new Outbox(4);
  for (let i = 0; i < 1003; i++) o.add(msg('a@b.c', `m${i}`));
  assert.deepEqual(o.list().map((e) => e.body), ['m999', 'm1000', 'm1001', 'm1002']);
  assert.equal(o.stats().dropped, 999);
  assert.equal(o.clear(), 4);
  o.add(msg('a@b.c', 'after'));
  assert.deepEqual(o.list().map((e) => [e.id, e.body]), [[1004, 'after']]);
});
