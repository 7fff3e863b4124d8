import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_QUOTAS, QuotaMeter } from '../../src/domain/quotas.js';

test('messages are metered per recipient; limits fail with OVER_QUOTA and reset the next day', () => {
  let now = new Date('2026-01-01T10:00:00Z');
  const q = new QuotaMeter({ ...DEFAULT_QUOTAS, invitationsSent: 2 }, () => now);
  q.chargeCall();
  q.chargeMessage(3, 100);
  assert.equal(q.total.recipients_messaged, 3);
  assert.equal(q.total.data_sent_bytes, 300);
  q.chargeInvite(10);
  q.chargeInvite(10);
  assert.throws(() => q.chargeInvite(10), (e: { code: string; message: string }) => e.code === 'OVER_QUOTA' && /Invitations Sent \(2 used of 2/.test(e.message));
  now = new Date('2026-01-02T00:00:01Z');
  q.chargeCall();
  q.chargeInvite(10);
  assert.equal(q.snapshot().today.invitations_sent, 1);
  assert.equal(q.snapshot().total.invitations_sent, 3);
  assert.equal(DEFAULT_QUOTAS.invitationsSent, 100_000);
});
