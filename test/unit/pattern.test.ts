import assert from 'node:assert/strict';
import { test } from 'node:test';
import { XmppError } from '../../src/domain/errors.js';
import { compilePattern, exactPattern, wildcardPattern } from '../../src/domain/pattern.js';

// On a backtracking engine each of these takes minutes or more on the input below; in linear time, nothing.
const CATASTROPHIC = ['(a+)+$', '^(a|a)*$', '(a*)*b', '(?:a|aa)+$', '(x+x+)+y'];

test('catastrophic patterns run in linear time (a backtracking engine would hang this test)', { timeout: 20_000 }, () => {
  const input = `${'a'.repeat(40)}!`;
  for (const p of CATASTROPHIC) assert.equal(compilePattern(p).test(input), false, p);
  assert.equal(compilePattern('(a+)+$').test('aaaa'), true);
});

test('JavaScript flags i, s, m apply, carried inline in the source; unknown flags and RE2-unsupported syntax are coded errors', () => {
  const p = compilePattern('^hello.world$', 'ism');
  assert.equal(p.source, '(?ism)^hello.world$');
  assert.ok(p.test('x\nHELLO\nWORLD'));
  assert.equal(compilePattern(p.source).test('x\nHELLO\nWORLD'), true, 'the source alone keeps the flags');
  assert.equal(compilePattern('hello').test('HELLO'), false);
  assert.ok(compilePattern('\\d{3}-\\w+', 'gu').test('call 555-home'));
  for (const [src, flags] of [
    ['a(?=b)', ''],
    ['(a', ''],
    ['x', 'q'],
    ['(a)\\1', ''],
  ]) {
    assert.throws(
      () => compilePattern(src!, flags),
      (e: unknown) => e instanceof XmppError && e.code === 'BAD_REQUEST',
      `${src} /${flags}`,
    );
  }
});

test('exact and wildcard patterns', () => {
  const body = 'a.b*c (d) [e] \\ $ ^ '.repeat(200);
  assert.ok(exactPattern(body).test(body));
  assert.ok(!exactPattern(body).test(`${body} `));
  assert.ok(compilePattern(exactPattern(body).source).test(body), 'its source means the same');
  assert.ok(wildcardPattern('*@Example.com').test('alice@example.com'));
  assert.ok(!wildcardPattern('*@example.com').test('alice@example.org'));
  assert.equal(wildcardPattern(`${'*a'.repeat(500)}b`).test('a'.repeat(3000)), false, 'many stars, no backtracking');
});
