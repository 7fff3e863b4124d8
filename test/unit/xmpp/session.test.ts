import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFrame } from '../../../src/xmpp/parser.js';
import { Session, type SessionHost, type Transport } from '../../../src/xmpp/session.js';
import { seededRandom } from '../../../src/domain/random.js';

const OPEN = '<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="example.com" version="1.0"/>';
const plain = (s: string): string => `<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">${Buffer.from(s).toString('base64')}</auth>`;
const BIND = '<iq xmlns="jabber:client" type="set" id="b"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"><resource>r</resource></bind></iq>';

/** A session on a WebSocket-like transport that records what it writes; frames go in as a client would send them. */
function session(users: Record<string, string> | null = null, urlNamespace?: string) {
  const out: string[] = [];
  const stanzas: string[] = [];
  let closed = false;
  const transport: Transport = {
    kind: 'websocket',
    secure: () => true,
    openStream: () => out.push('<open/>'),
    send: (x) => out.push(x),
    closeStream: () => (closed = true),
    restart: () => undefined,
  };
  const host: SessionHost = {
    checkPassword: (bare, pw) => (users === null ? null : users[bare] === pw ? null : `wrong password for ${bare}`),
    checkNamespace: (name) => (/^[a-z0-9-]+$/.test(name) ? null : `namespace "${name}" is not a valid name`),
    bind: (s, r) => `${s.bare}/${r ?? 'gen'}`,
    stanza: (_s, el) => void stanzas.push(`${el.local} from=${el.attrs.from}`),
    ended: () => undefined,
    handshakeTimeoutMs: 60_000,
    random: seededRandom(1),
  };
  const s = new Session(transport, host, urlNamespace);
  return {
    s,
    out,
    stanzas,
    send: (...frames: string[]) => frames.forEach((f) => readFrame(f, s)),
    get closed() {
      return closed;
    },
  };
}

test('sign-in: PLAIN with the localpart (any case) or the bare JID, then bind', () => {
  for (const authcid of ['Alice', 'alice@example.com', 'ALICE@Example.com']) {
    const c = session();
    c.send(OPEN, plain(`\0${authcid}\0pw`), OPEN, BIND);
    assert.match(c.out.join(''), /<success [^>]*\/>.*<jid>alice@example\.com\/r<\/jid>/s, authcid);
    assert.equal(c.s.jid, 'alice@example.com/r');
    assert.equal(c.closed, false);
  }
});

test('SASL failures answer <failure> with the RFC 6120 condition and let the client retry', () => {
  const cases: Array<[string, RegExp]> = [
    [plain('alice\0pw'), /<incorrect-encoding\/>/],
    [plain('\0alice\0wrong'), /<not-authorized\/>.*wrong password/],
    [plain('bob@example.com\0alice\0pw'), /<invalid-authzid\/>/],
    [plain('\0a b\0pw'), /<not-authorized\/>.*not a valid user name/],
    ['<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="SCRAM-SHA-1">x</auth>', /<invalid-mechanism\/>/],
    ['<abort xmlns="urn:ietf:params:xml:ns:xmpp-sasl"/>', /<aborted\/>/],
  ];
  for (const [auth, want] of cases) {
    const c = session({ 'alice@example.com': 'pw' });
    c.send(OPEN, auth);
    assert.match(c.out.at(-1)!, want, auth);
    assert.match(c.out.at(-1)!, /^<failure xmlns="urn:ietf:params:xml:ns:xmpp-sasl">/);
    c.send(plain('\0alice\0pw'));
    assert.match(c.out.at(-1)!, /^<success /, 'the retry succeeds');
  }
  const c = session({ 'alice@example.com': 'pw' });
  c.send(OPEN, ...Array.from({ length: 5 }, () => plain('\0alice\0nope')));
  assert.match(c.out.at(-1)!, /<policy-violation /);
  assert.equal(c.closed, true);
});

test('an authzid ns:NAME joins a namespace; one the URL already chose cannot be changed; a bad name is refused', () => {
  const joined = session();
  joined.send(OPEN, plain('ns:team-a\0alice\0pw'), OPEN, BIND);
  assert.equal(joined.s.jid, 'alice@example.com/r');
  assert.equal(joined.s.namespace, 'team-a');
  const plainOne = session();
  plainOne.send(OPEN, plain('\0alice\0pw'));
  assert.equal(plainOne.s.namespace, 'default');
  const byUrl = session(null, 'team-b');
  assert.equal(byUrl.s.namespace, 'team-b');
  byUrl.send(OPEN, plain('ns:team-a\0alice\0pw'));
  assert.match(byUrl.out.at(-1)!, /<invalid-authzid\/>.*in namespace team-b \(its URL says so\), not team-a/);
  byUrl.send(plain('ns:team-b\0alice\0pw'));
  assert.match(byUrl.out.at(-1)!, /^<success /);
  const bad = session();
  bad.send(OPEN, plain('ns:no way\0alice\0pw'));
  assert.match(bad.out.at(-1)!, /<invalid-authzid\/>.*not a valid name/);
  assert.equal(bad.s.namespace, 'default');
});

test('stream errors: version, domain, order, forged from', () => {
  const cases: Array<[string[], RegExp]> = [
    [['<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="example.com"/>'], /<unsupported-version /],
    [['<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" version="1.0"/>'], /<host-unknown /],
    [['<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="exa mple.com" version="1.0"/>'], /<host-unknown /],
    [['<message xmlns="jabber:client"/>'], /<not-authorized /],
    [[OPEN, '<message xmlns="jabber:client"/>'], /<not-authorized /],
    [[OPEN, plain('\0alice\0pw'), OPEN, '<message xmlns="jabber:client"/>'], /<not-authorized /],
    [[OPEN, plain('\0alice\0pw'), OPEN, BIND, '<message xmlns="jabber:client" from="mallory@example.com/x"/>'], /<invalid-from /],
    [[OPEN, plain('\0alice\0pw'), OPEN, BIND, '<foo xmlns="jabber:client"/>'], /<unsupported-stanza-type /],
  ];
  for (const [frames, want] of cases) {
    const c = session();
    c.send(...frames);
    assert.match(c.out.at(-1)!, want, frames.at(-1));
    assert.match(c.out.at(-1)!, /^<stream:error xmlns:stream="http:\/\/etherx.jabber.org\/streams">/);
    assert.ok(c.out.includes('<open/>'), 'the open reply comes before the error (RFC 7395 §3.5)');
    assert.equal(c.closed, true);
  }
});

test('bound: stanzas reach the host with the sender stamped; the legacy session iq is answered; frames after close are ignored', () => {
  const c = session();
  c.send(OPEN, plain('\0alice\0pw'), OPEN, BIND);
  c.send(
    '<message xmlns="jabber:client" to="x@y.z"/>',
    '<presence xmlns="jabber:client" from="alice@example.com"/>',
    '<iq xmlns="jabber:client" type="set" id="s"><session xmlns="urn:ietf:params:xml:ns:xmpp-session"/></iq>',
  );
  assert.deepEqual(c.stanzas, ['message from=alice@example.com/r', 'presence from=alice@example.com/r']);
  assert.match(c.out.at(-1)!, /^<iq xmlns="jabber:client" type="result" id="s"\/>$/);
  c.send('<close xmlns="urn:ietf:params:xml:ns:xmpp-framing"/>');
  const before = c.out.length;
  c.send('<message xmlns="jabber:client"/>');
  assert.equal(c.out.length, before);
  assert.equal(c.stanzas.length, 2);
});
