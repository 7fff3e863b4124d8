import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TicketBook } from '../../../src/core/tickets.js';

test('the ticket book keeps the latest `cap` tickets with their namespaces, forgets older ones, and knows none it did not issue', () => {
  const book = new TicketBook('run', 100);
  const issued: string[] = [];
  for (let i = 0; i < 1_000; i++) issued.push(book.issue(i % 2 ? 'default' : 'other'));
  assert.equal(new Set(issued).size, 1_000, 'every ticket is fresh');
  for (const [i, t] of issued.entries()) {
    const kept = i >= 900;
    assert.equal(book.deliveryOf(t), kept ? t : null, `ticket #${i}`);
    assert.equal(book.namespaceOf(t), kept ? (i % 2 ? 'default' : 'other') : undefined, `ticket #${i}`);
  }
  assert.equal(book.deliveryOf('run-100000'), null);
  assert.equal(book.deliveryOf('elsewhere-1000'), null);
  assert.equal(book.deliveryOf(''), null);
  assert.equal(new TicketBook('other', 100).deliveryOf(issued.at(-1)), null, "another run's book");
});

test('past the cap the book stays at its size (held in a few entries, not one per ticket ever issued)', () => {
  const book = new TicketBook('r', 10);
  for (let i = 0; i < 100_000; i++) book.issue('default');
  const kept = Array.from({ length: 100_000 }, (_, i) => book.deliveryOf(`r-${i + 1}`)).filter((t) => t !== null);
  assert.deepEqual(
    kept,
    Array.from({ length: 10 }, (_, i) => `r-${99_991 + i}`),
  );
});
