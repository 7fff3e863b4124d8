import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import fc from 'fast-check';
import { entryBytes, matchesFilter, Outbox, type OutboxFilter, type WaitSignal } from '../../../src/core/outbox.js';

const msg = (to: string, body: string) => ({
  time: '',
  kind: 'message' as const,
  from: 'app@appspot.com/bot',
  to: [to],
  body,
  version: null,
  protocol: 'json' as const,
  in_reply_to: null,
});

test('the cap holds and drops are counted', () => {
  const o = new Outbox(3);
  for (let i = 0; i < 5; i++) o.add(msg('a@b.c', `m${i}`));
  assert.deepEqual(
    o.list().map((e) => e.body),
    ['m2', 'm3', 'm4'],
  );
  assert.deepEqual(o.stats(), { size: 3, cap: 3, bytes: 3 * entryBytes(msg('a@b.c', 'm0')), max_bytes: 0, dropped: 2, total: 5, last_id: 5 });
});

test('filters: to (bare matches resources), from, kind, contains, matches, since', () => {
  const o = new Outbox(100);
  o.add(msg('alice@example.com/phone', 'Hello Alice'));
  o.add(msg('bob@example.com', 'Hello Bob'));
  o.add({ time: '', kind: 'invite', from: 'app@appspot.com/bot', to: ['carol@example.com'], version: null, protocol: 'json', in_reply_to: null });
  assert.deepEqual(
    o.list({ to: 'alice@example.com' }).map((e) => e.id),
    [1],
  );
  assert.deepEqual(
    o.list({ to: 'alice@example.com/laptop' }).map((e) => e.id),
    [],
  );
  assert.deepEqual(
    o.list({ kind: 'invite' }).map((e) => e.id),
    [3],
  );
  assert.deepEqual(
    o.list({ contains: 'Bob' }).map((e) => e.id),
    [2],
  );
  assert.deepEqual(
    o.list({ matches: /^Hello [AB]/ }).map((e) => e.id),
    [1, 2],
  );
  assert.deepEqual(
    o.list({ since: 1 }).map((e) => e.id),
    [2, 3],
  );
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

/** An Outbox whose wait timers are counted while they are pending. */
function countingTimers(): { o: Outbox; live: () => number } {
  let live = 0;
  const after = (ms: number, end: () => void): (() => void) => {
    live++;
    const t = setTimeout(end, ms);
    return () => {
      live--;
      clearTimeout(t);
    };
  };
  return { o: new Outbox({ cap: 10, maxBytes: Infinity, after }), live: () => live };
}

/** A WaitSignal backed by an emitter's 'close', as an HTTP long-poll's hang-up is. */
function closeSignal(emitter: EventEmitter): WaitSignal {
  let closed = false;
  emitter.once('close', () => (closed = true));
  return {
    get aborted() {
      return closed;
    },
    addEventListener: (_type, listener) => void emitter.on('close', listener),
    removeEventListener: (_type, listener) => void emitter.off('close', listener),
  };
}

test('a wait ends once, however it ends, and leaves nothing behind: no waiter, no timer, no listener on its signal', async () => {
  const { o, live } = countingTimers();
  // Aborted before it began: null at once, nothing registered.
  assert.equal(await o.wait({ to: 'alice@example.com' }, 60_000, AbortSignal.abort()), null);
  assert.deepEqual([o.waiting, live()], [0, 0]);
  // Hung up while pending (an HTTP client that goes away).
  const client = new EventEmitter();
  const hungUp = o.wait({ to: 'alice@example.com' }, 60_000, closeSignal(client));
  assert.deepEqual([o.waiting, live(), client.listenerCount('close')], [1, 1, 2]);
  client.emit('close');
  assert.equal(await hungUp, null);
  assert.deepEqual([o.waiting, live(), client.listenerCount('close')], [0, 0, 0]);
  // Matched: the entry, and its signal's listener and its timer are gone too.
  const other = new EventEmitter();
  const matched = o.wait({ to: 'bob@example.com' }, 60_000, closeSignal(other));
  o.add(msg('bob@example.com/phone', 'for bob'));
  assert.equal((await matched)?.body, 'for bob');
  assert.deepEqual([o.waiting, live(), other.listenerCount('close')], [0, 0, 1]);
  other.emit('close');
  // Two waits for one recipient: the one that hangs up goes, the other still gets the entry.
  const first = new EventEmitter();
  const gone = o.wait({ to: 'dave@example.com' }, 60_000, closeSignal(first));
  const stays = o.wait({ to: 'dave@example.com', contains: 'hi' }, 60_000);
  const third = o.wait({ to: 'dave@example.com', contains: 'bye' }, 60_000);
  assert.equal(o.waiting, 3);
  first.emit('close');
  assert.equal(await gone, null);
  assert.equal(o.waiting, 2);
  o.add(msg('dave@example.com', 'hi dave'));
  assert.equal((await stays)?.body, 'hi dave');
  assert.equal(o.waiting, 1);
  o.add(msg('dave@example.com', 'bye dave'));
  assert.equal((await third)?.body, 'bye dave');
  assert.deepEqual([o.waiting, live()], [0, 0]);
  // Timed out: null, nothing kept.
  const timedOut = o.wait({ to: 'carol@example.com' }, 5, closeSignal(new EventEmitter()));
  assert.equal(await timedOut, null);
  assert.deepEqual([o.waiting, live()], [0, 0]);
});

test('the ring keeps order across many wraps and after a clear', () => {
  const o = new Outbox(4);
  for (let i = 0; i < 1003; i++) o.add(msg('a@b.c', `m${i}`));
  assert.deepEqual(
    o.list().map((e) => e.body),
    ['m999', 'm1000', 'm1001', 'm1002'],
  );
  assert.equal(o.stats().dropped, 999);
  assert.equal(o.clear(), 4);
  o.add(msg('a@b.c', 'after'));
  assert.deepEqual(
    o.list().map((e) => [e.id, e.body]),
    [[1004, 'after']],
  );
});

test('the byte cap holds too: large entries evict the oldest before the entry cap is reached', () => {
  const o = new Outbox({ cap: 10_000, maxBytes: 1024 * 1024 });
  const big = 'x'.repeat(100 * 1024);
  for (let i = 0; i < 50; i++) o.add(msg('a@b.c', big + i));
  const s = o.stats();
  assert.ok(s.bytes <= 1024 * 1024, `${s.bytes} bytes kept`);
  assert.equal(
    s.bytes,
    o.list().reduce((n, e) => n + entryBytes(e), 0),
  );
  assert.equal(s.size + s.dropped, 50);
  assert.ok(s.dropped >= 45, `${s.dropped} dropped`);
  assert.equal(o.list().at(-1)!.body, `${big}49`);
  // A long recipient list counts as well as a long body.
  const many = Array.from({ length: 20_000 }, (_, i) => `user${i}@example.com`);
  o.add({ time: '', kind: 'message', from: 'app@appspot.com', to: many, body: 'hi', version: null, protocol: 'json', in_reply_to: null });
  assert.ok(o.stats().bytes <= 1024 * 1024 || o.stats().size === 1);
});

test('a new entry is tested only against the waiters that could want it, not every waiter', async () => {
  const o = new Outbox(1000);
  let tests = 0;
  const counting = { source: '.', test: () => (tests++, true) };
  const pending = Array.from({ length: 1000 }, (_, i) => o.wait({ to: `user${i}@example.com`, matches: counting }, 60_000));
  assert.equal(tests, 0);
  for (let i = 0; i < 100; i++) o.add(msg('alice@example.com', `m${i}`));
  assert.equal(tests, 0, 'no waiter for another recipient was tested');
  o.add(msg('user7@example.com/phone', 'for seven'));
  assert.equal(tests, 1);
  assert.equal((await pending[7])?.body, 'for seven');
  // Registering scans only the recipient's own entries.
  tests = 0;
  const w = o.wait({ to: 'alice@example.com', matches: counting, since: 95 }, 60_000);
  assert.equal(tests, 1);
  assert.equal((await w)?.body, 'm95');
  o.close();
  assert.equal((await Promise.all(pending)).filter((e) => e === null).length, 999);
});

test('in_reply_to: the replies to one delivery, stored or yet to come, found and awaited without a scan of the rest', async () => {
  const o = new Outbox(100_000);
  const reply = (cause: string | null, body: string) => ({ ...msg('alice@example.com/desktop', body), in_reply_to: cause });
  for (let i = 0; i < 50_000; i++) o.add(reply(i % 2 ? `d${i}` : null, `m${i}`));
  o.add(reply('d-late', 'first'));
  let tests = 0;
  const counting = { source: '.', test: () => (tests++, true) };
  // Stored: only the delivery's own entries are looked at.
  assert.deepEqual(
    o.list({ in_reply_to: 'd-late', matches: counting }).map((e) => e.body),
    ['first'],
  );
  assert.equal(tests, 1);
  assert.deepEqual(o.list({ in_reply_to: 'never-issued' }), []);
  // Yet to come: 1,000 waiters for other deliveries are not tested against a new entry; the right one settles.
  tests = 0;
  const others = Array.from({ length: 1000 }, (_, i) => o.wait({ in_reply_to: `other${i}`, matches: counting }, 60_000));
  const second = o.wait({ in_reply_to: 'd-late', since: o.lastId }, 60_000);
  for (let i = 0; i < 100; i++) o.add(reply(`d-busy${i}`, `noise${i}`));
  o.add(reply('d-late', 'second'));
  assert.equal(tests, 0, 'no waiter for another delivery was tested');
  assert.equal((await second)?.body, 'second');
  // A recipient filter and in_reply_to together: both must hold.
  assert.equal(o.find({ in_reply_to: 'd-late', to: 'bob@example.com' }), undefined);
  o.close();
  assert.equal((await Promise.all(others)).filter((e) => e === null).length, 1000);
});

test('since starts where the id points; a scan stops at its deadline and says where to go on', () => {
  const o = new Outbox(100_000);
  for (let i = 0; i < 100_000; i++) o.add(msg(`u${i % 7}@example.com`, `m${i}`));
  let tests = 0;
  const counting = { source: '.', test: () => (tests++, true) };
  assert.deepEqual(
    o.list({ since: 99_998, matches: counting }).map((e) => e.id),
    [99_999, 100_000],
  );
  assert.equal(tests, 2);
  const p = o.page({ contains: 'never' }, 0, Infinity, o.lastId, performance.now() - 1);
  assert.ok(p.next !== null && p.next < 5000, `stopped at ${p.next}`);
  const rest = o.page({ contains: 'never' }, p.next!, Infinity);
  assert.equal(rest.next, null);
});

test('a query over many entries arrives in several batches, yielding to the event loop between them', async () => {
  const o = new Outbox(400_000);
  for (let i = 0; i < 400_000; i++) o.add(msg('a@b.c', `m${i}`));
  let turns = 0;
  let ticking = true;
  const tick = (): void => {
    turns++;
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  let batches = 0;
  let count = 0;
  for await (const b of o.query({ matches: { source: 'slow', test: (s) => s.endsWith('0') && !s.repeat(20).includes('zz') } })) {
    batches++;
    count += b.length;
  }
  ticking = false;
  assert.equal(count, 40_000);
  assert.ok(batches > 1 && turns > 1, `${batches} batches, ${turns} loop turns`);
  assert.deepEqual(
    (await o.collect({ contains: 'm39999' }, 2)).map((e) => e.body),
    ['m39999', 'm399990'],
  );
});

test('indexes agree with a plain scan after any mix of adds, evictions and clears (property)', () => {
  const jids = ['a@x.com', 'a@x.com/r1', 'A@X.com/r2', 'b@x.com', 'not a jid/r', 'b@x.com/r'];
  const op = fc.oneof(
    fc.record({
      to: fc.subarray(jids, { minLength: 1 }),
      body: fc.constantFrom('hi', 'hello', 'x'.repeat(300)),
      from: fc.constantFrom('app@appspot.com/bot', 'Other@appspot.com'),
      cause: fc.constantFrom(null, 'd1', 'd2'),
    }),
    fc.constant('clear' as const),
  );
  const filters = fc.record(
    {
      to: fc.constantFrom(...jids, 'a@X.COM', 'c@x.com'),
      from: fc.constantFrom('app@appspot.com', 'other@appspot.com/x'),
      contains: fc.constantFrom('h', 'hello'),
      since: fc.nat(60),
      in_reply_to: fc.constantFrom('d1', 'd2', 'd3'),
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 60 }), fc.integer({ min: 1, max: 8 }), fc.array(filters, { minLength: 1, maxLength: 5 }), (ops, cap, fs) => {
      const o = new Outbox({ cap, maxBytes: 2000 });
      let kept: ReturnType<Outbox['add']>[] = [];
      for (const x of ops) {
        if (x === 'clear') {
          o.clear();
          kept = [];
          continue;
        }
        kept.push(o.add({ time: '', kind: 'message', from: x.from, to: x.to, body: x.body, version: null, protocol: 'json', in_reply_to: x.cause }));
        const s = o.stats();
        kept = kept.slice(kept.length - s.size);
        assert.ok(s.bytes <= 2000 || s.size === 1);
      }
      for (const f of fs as OutboxFilter[]) {
        assert.deepEqual(
          o.list(f).map((e) => e.id),
          kept.filter((e) => matchesFilter(e, f)).map((e) => e.id),
        );
      }
    }),
  );
});
