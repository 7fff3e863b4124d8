// A real XMPP client's message while --record cannot write (issue 9 item 8): refused with an internal-server-error
// stanza naming the transcript, nothing delivered to the app, and no unhandled rejection.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Engine } from '../../../src/core/engine.js';
import type { EmulatorEvent } from '../../../src/core/events.js';
import { Transcript } from '../../../src/core/transcript.js';
import { resolveOptions } from '../../../src/options.js';
import { XmppHub } from '../../../src/xmpp/hub.js';
import { readFrame } from '../../../src/xmpp/parser.js';
import type { Transport } from '../../../src/xmpp/session.js';

const OPEN = '<open xmlns="urn:ietf:params:xml:ns:xmpp-framing" to="example.com" version="1.0"/>';
const PLAIN = `<auth xmlns="urn:ietf:params:xml:ns:xmpp-sasl" mechanism="PLAIN">${Buffer.from('\0alice\0pw').toString('base64')}</auth>`;
const BIND = '<iq xmlns="jabber:client" type="set" id="b"><bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"><resource>r</resource></bind></iq>';

test('a client message while the transcript cannot be written is answered internal-server-error and never delivered', async (t) => {
  if (process.platform !== 'linux') return t.skip('/dev/full is a Linux device');
  const engine = new Engine(resolveOptions({ port: 0, console: false }));
  const journal = new Transcript('/dev/full', (body) => engine.emit(body));
  engine.space.journal = journal;
  const heard: EmulatorEvent[] = [];
  engine.onEvent((e) => heard.push(e));
  const hub = new XmppHub(engine, { users: null, handshakeTimeoutMs: 60_000, pingIntervalMs: 60_000, maxSessions: 10 });
  const out: string[] = [];
  const transport: Transport = {
    kind: 'websocket',
    secure: () => true,
    openStream: () => out.push('<open/>'),
    send: (x) => out.push(x),
    closeStream: () => undefined,
    restart: () => undefined,
  };
  const s = hub.admit(transport)!;
  for (const frame of [OPEN, PLAIN, OPEN, BIND]) readFrame(frame, s);
  // The session's own event (connected) is the first line that cannot be written: recording is failing from here.
  out.length = 0;
  readFrame(`<message xmlns="jabber:client" to="${engine.app.appId}@appspot.com" type="chat" id="m1"><body>hi</body></message>`, s);
  const answer = out.join('');
  assert.match(answer, /<message [^>]*type="error"[^>]*id="m1"|<message [^>]*id="m1"[^>]*type="error"/);
  assert.match(answer, /<error type="cancel"><internal-server-error [^>]*\/>/);
  assert.match(answer, /cannot be written to the transcript \/dev\/full \(ENOSPC\)/);
  assert.deepEqual(
    heard.filter((e) => e.type === 'delivered'),
    [],
  );
  hub.close();
  journal.close();
  await engine.close();
});
