import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expectFilter, parseConversation } from '../../../src/domain/conversation.js';

test('a conversation file parses into steps with defaults applied', () => {
  const c = parseConversation(
    JSON.stringify({
      name: 'greets',
      from: 'alice@example.com',
      timeout_ms: 1500,
      steps: [
        { send: 'hello' },
        { expect: 'Greetings!' },
        { send: '/echo x', from: 'bob@example.com' },
        { expect: { matches: '^x$', flags: 'i' } },
        { presence: 'away', status: 'lunch' },
        { subscription: 'subscribe' },
      ],
    }),
    'f.json',
  );
  assert.equal(c.name, 'greets');
  assert.deepEqual(c.steps[0], { kind: 'send', from: 'alice@example.com', body: 'hello' });
  assert.deepEqual(c.steps[1], { kind: 'expect', outboxKind: 'message', to: 'alice@example.com', timeoutMs: 1500, body: 'Greetings!' });
  // An expect goes to the last sender by default.
  assert.equal((c.steps[3] as { to: string }).to, 'bob@example.com');
  assert.deepEqual(c.steps[4], { kind: 'presence', from: 'alice@example.com', type: 'available', show: 'away', status: 'lunch' });
  const f = expectFilter(c.steps[1] as Extract<(typeof c.steps)[number], { kind: 'expect' }>);
  assert.ok(f.matches!.test('Greetings!'));
  assert.ok(!f.matches!.test('Greetings!!'));
});

test('broken conversation files name the step and the problem', () => {
  const table: Array<[unknown, RegExp]> = [
    [{ steps: [] }, /"steps" must be a non-empty list/],
    [{ steps: [{ send: 'x' }] }, /step 1: "from" is missing/],
    [{ from: 'a@b.c', steps: [{ send: 'x', expect: 'y' }] }, /step 1: must have exactly one of/],
    [{ from: 'a@b.c', steps: [{ send: 'x' }, { expect: { matches: '(' } }] }, /step 2: expect.matches is not a valid regular expression/],
    [{ from: 'a@b.c', steps: [{ presence: 'sleepy' }] }, /step 1: "presence" must be/],
    [{ from: 'nope', steps: [{ send: 'x' }] }, /"from" "nope" is not a valid JID/],
    [{ from: 'a@b.c', steps: [{ expect: { body: 'x', within: 3 } }] }, /unknown key "within"/],
    [
      { from: 'a@b.c', steps: [{ set_presence: 'away' }, { expect: { body: 'x', reply: true } }] },
      /step 2: expect.reply waits for the reply to the latest send/,
    ],
    [{ from: 'a@b.c', steps: [{ send: 'x' }, { expect_none: { reply: false } }] }, /step 2: expect_none.reply must be true/],
    [{ from: 'a@b.c', steps: [{ expect_sequence: [{ body: 'x', reply: true }] }] }, /step 1: expect_sequence\[0\].reply waits for/],
  ];
  for (const [data, why] of table) assert.throws(() => parseConversation(JSON.stringify(data), 'c.json'), why);
  assert.throws(() => parseConversation('{', 'c.json'), /c.json: not valid JSON/);
});

test('a conversation file can declare faults, step the clock, and assert nothing or an order', () => {
  const c = parseConversation(
    JSON.stringify({
      from: 'alice@example.com',
      faults: [{ delivery: 'drop', times: 1 }],
      steps: [
        { clock: { advance_ms: 60000 } },
        { fault: { status: 'OTHER_ERROR', jid: 'bob@*' } },
        { send: 'lost', delivered: false },
        { expect_none: { contains: 'lost', timeout_ms: 100 } },
        { expect_sequence: ['one', { contains: 'two' }], timeout_ms: 500 },
      ],
    }),
    'c.json',
  );
  assert.deepEqual(
    c.steps.map((s) => s.kind),
    ['fault', 'clock', 'fault', 'send', 'expect_none', 'expect_sequence'],
  );
  assert.deepEqual(c.steps[0], { kind: 'fault', rules: [{ delivery: 'drop', times: 1 }] });
  assert.deepEqual(c.steps[1], { kind: 'clock', change: { advance_ms: 60000 } });
  assert.equal((c.steps[3] as { delivered?: boolean }).delivered, false);
  const seq = c.steps[5] as Extract<(typeof c.steps)[number], { kind: 'expect_sequence' }>;
  assert.equal(seq.timeoutMs, 500);
  assert.deepEqual(
    seq.steps.map((e) => [e.to, e.body, e.contains, e.timeoutMs]),
    [
      ['alice@example.com', 'one', undefined, 500],
      ['alice@example.com', undefined, 'two', 500],
    ],
  );
  const table: Array<[unknown, RegExp]> = [
    [{ from: 'a@b.c', faults: [{ colour: 'red' }], steps: [{ send: 'x' }] }, /faults: unknown key "colour"/],
    [{ from: 'a@b.c', steps: [{ clock: { jump: 1 } }] }, /step 1 clock must have exactly one of/],
    [{ from: 'a@b.c', steps: [{ expect_sequence: [] }] }, /non-empty list/],
    [{ from: 'a@b.c', steps: [{ send: 'x', delivered: 'no' }] }, /"delivered" must be true or false/],
  ];
  for (const [data, why] of table) assert.throws(() => parseConversation(JSON.stringify(data), 'c.json'), why);
});
