import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Clock } from '../../../src/domain/clock.js';
import { DEFAULT_QUOTAS, QuotaMeter, quotaDay } from '../../../src/domain/quotas.js';

test('messages are metered per recipient; limits fail with OVER_QUOTA and reset the next day', () => {
  let now = new Date('2026-01-01T10:00:00Z');
  const q = new QuotaMeter({ ...DEFAULT_QUOTAS, invitationsSent: 2 }, () => now);
  q.chargeCall();
  q.chargeMessage(3, 100);
  assert.equal(q.total.recipients_messaged, 3);
  assert.equal(q.total.data_sent_bytes, 300);
  q.chargeInvite(10);
  q.chargeInvite(10);
  assert.throws(
    () => q.chargeInvite(10),
    (e: { code: string; message: string }) => e.code === 'OVER_QUOTA' && /Invitations Sent \(2 used of 2/.test(e.message),
  );
  now = new Date('2026-01-02T08:00:01Z');
  q.chargeCall();
  q.chargeInvite(10);
  assert.equal(q.snapshot().today.invitations_sent, 1);
  assert.equal(q.snapshot().total.invitations_sent, 3);
  assert.equal(DEFAULT_QUOTAS.invitationsSent, 100_000);
});

test('the quota day is the Pacific calendar day, daylight saving included', () => {
  const cases: Array<[string, string, string, string]> = [
    // instant, Pacific day, its midnight, the next midnight
    ['2026-01-02T07:59:59.999Z', '2026-01-01', '2026-01-01T08:00:00.000Z', '2026-01-02T08:00:00.000Z'],
    ['2026-01-02T08:00:00.000Z', '2026-01-02', '2026-01-02T08:00:00.000Z', '2026-01-03T08:00:00.000Z'],
    ['2026-07-02T06:59:59.000Z', '2026-07-01', '2026-07-01T07:00:00.000Z', '2026-07-02T07:00:00.000Z'],
    ['2026-07-02T07:00:00.000Z', '2026-07-02', '2026-07-02T07:00:00.000Z', '2026-07-03T07:00:00.000Z'],
    // the spring-forward day has 23 hours, the fall-back day 25
    ['2026-03-08T20:00:00.000Z', '2026-03-08', '2026-03-08T08:00:00.000Z', '2026-03-09T07:00:00.000Z'],
    ['2026-11-01T20:00:00.000Z', '2026-11-01', '2026-11-01T07:00:00.000Z', '2026-11-02T08:00:00.000Z'],
  ];
  for (const [at, day, start, end] of cases) {
    const d = quotaDay(Date.parse(at));
    assert.deepEqual({ day: d.day, start: new Date(d.start).toISOString(), end: new Date(d.end).toISOString() }, { day, start, end }, at);
  }
});

test('advancing a controlled clock past Pacific midnight rolls the quota day, and not a moment before', () => {
  const clock = new Clock(() => Date.parse('2026-05-01T12:00:00Z'));
  clock.set(Date.parse('2026-05-02T06:59:00Z')); // 23:59 PDT on May 1st
  clock.freeze();
  const q = new QuotaMeter({ ...DEFAULT_QUOTAS, apiCalls: 1 }, () => clock.date());
  q.chargeCall();
  assert.throws(() => q.chargeCall(), /OVER_QUOTA|over quota/);
  clock.advance(59_999);
  assert.throws(() => q.chargeCall(), /over quota/);
  assert.equal(q.snapshot().today.day, '2026-05-01');
  assert.equal(q.snapshot().today.resets_at, '2026-05-02T07:00:00.000Z');
  clock.advance(1);
  q.chargeCall();
  assert.equal(q.snapshot().today.day, '2026-05-02');
  assert.equal(q.snapshot().today.api_calls, 1);
  assert.equal(q.snapshot().total.api_calls, 2);
});
