// A real client over TCP with STARTTLS: slixmpp (Debian's python3-slixmpp), trusting the generated certificate.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { createInterface } from 'node:readline';
import { nextEvent, serviceCall, startStack, type Stack } from './xmpp-stack.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = new URL('../../../test/e2e/slixmpp-client.py', import.meta.url).pathname;
// CI installs python3-slixmpp (.ci/run): there the test must run, never skip.
const missing = !fs.existsSync(PYTHON) ? `${PYTHON} is missing` : null;

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(() => stack.close());

/** Run the slixmpp client; its JSON lines arrive in order through next(). */
function slixmpp(jid: string, password: string, caFile: string, namespace?: string) {
  const args = [SCRIPT, '127.0.0.1', String(stack.em.xmppPort), jid, password, caFile, ...(namespace ? [namespace] : [])];
  const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines: any[] = [];
  const waiters: Array<() => void> = [];
  createInterface({ input: child.stdout }).on('line', (l) => {
    lines.push(JSON.parse(l));
    waiters.splice(0).forEach((w) => w());
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      waiters.splice(0).forEach((w) => w());
      resolve(code);
    }),
  );
  return {
    child,
    exited,
    /** the first line (seen or to come) whose event is `event`; with `index`, the one after that many */
    async next(event: string, index = 0): Promise<any> {
      for (;;) {
        const found = lines.filter((l) => l.event === event)[index];
        if (found) return found;
        if (child.exitCode !== null) throw new Error(`slixmpp exited (${child.exitCode}) before "${event}": ${JSON.stringify(lines)} ${stderr}`);
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    },
  };
}

test(
  'slixmpp over TCP + STARTTLS: verifies the certificate, signs in, chats with the bot, goes away and unavailable',
  { skip: process.env.CI ? false : (missing ?? false) },
  async () => {
    const cert = (await stack.em.xmppCertificate())!;
    assert.ok(fs.readFileSync(cert.file, 'utf8').includes('BEGIN CERTIFICATE'));
    const connected = nextEvent(stack.em, (e) => e.type === 'xmpp.session' && e.state === 'connected' && e.jid.startsWith('kim@'));
    const c = slixmpp('kim@example.com/desktop', 'any', cert.file);
    await c.next('tls');
    const online = await c.next('online');
    assert.equal(online.jid, 'kim@example.com/desktop');
    // slixmpp lists the user's own JID in its roster beside what the server sent.
    assert.deepEqual(
      online.roster.filter((j: string) => j !== 'kim@example.com'),
      ['dev-app@appspot.com'],
    );
    assert.equal(((await connected) as any).transport, 'tcp');

    const reply = await c.next('message');
    assert.deepEqual([reply.frm, reply.body, reply.type], ['dev-app@appspot.com/bot', 'Greetings!', 'chat']);
    // The presence came before the message on the same stream, so the bot's reply means it was handled.
    const [p] = (await serviceCall(stack.em, 'get_presence', { jid: 'kim@example.com' })).presence;
    assert.deepEqual([p.available, p.show, p.status], [true, 'away', 'on tcp']);

    await serviceCall(stack.em, 'send_invite', { jid: 'kim@example.com' });
    assert.equal((await c.next('subscribe')).frm, 'dev-app@appspot.com');

    const gone = nextEvent(stack.em, (e) => e.type === 'xmpp.session' && e.state === 'disconnected' && e.jid.startsWith('kim@'));
    await serviceCall(stack.em, 'send_message', { jids: 'kim@example.com', body: 'bye' });
    await gone;
    assert.equal(await c.exited, 0);
    const [after] = (await serviceCall(stack.em, 'get_presence', { jid: 'kim@example.com' })).presence;
    assert.equal(after.available, false);
  },
);

test(
  'slixmpp over TCP joins a namespace with the SASL authzid ns:NAME: its user, presence and replies stay there',
  { skip: process.env.CI ? false : (missing ?? false) },
  async () => {
    const cert = (await stack.em.xmppCertificate())!;
    const ns = stack.em.namespace('tcp-team');
    const connected = nextEvent(stack.em, (e) => e.type === 'xmpp.session' && e.state === 'connected' && e.jid.startsWith('lee@'));
    const c = slixmpp('lee@example.com/desktop', 'any', cert.file, 'tcp-team');
    const online = await c.next('online');
    assert.equal(online.jid, 'lee@example.com/desktop');
    assert.equal((await connected)!.namespace, 'tcp-team');
    // The bot answered the client's hello through the delivery's ticket: into the namespace, back to the client.
    const reply = await c.next('message');
    assert.deepEqual([reply.frm, reply.body], ['dev-app@appspot.com/bot', 'Greetings!']);
    assert.deepEqual(
      (await ns.outbox({ to: 'lee@example.com' })).map((e) => e.body),
      ['Greetings!'],
    );
    assert.deepEqual(await stack.em.outbox({ to: 'lee@example.com' }), [], 'the default namespace saw nothing');
    const [here] = (await serviceCall(stack.em, 'get_presence', { jid: 'lee@example.com' }, 'tcp-team')).presence;
    assert.deepEqual([here.available, here.show], [true, 'away']);
    const [there] = (await serviceCall(stack.em, 'get_presence', { jid: 'lee@example.com' })).presence;
    assert.equal(there.available, false, "the default namespace's lee is someone else");
    assert.deepEqual(
      (await ns.listPresence()).connected?.map((x) => x.jid),
      ['lee@example.com/desktop'],
    );
    // A message from the default namespace's app side does not reach the namespace's client; its own does.
    await serviceCall(stack.em, 'send_message', { jids: 'lee@example.com', body: 'bye' });
    await serviceCall(stack.em, 'send_message', { jids: 'lee@example.com', body: 'from the namespace' }, 'tcp-team');
    assert.equal((await c.next('message', 1)).body, 'from the namespace');
    await serviceCall(stack.em, 'send_message', { jids: 'lee@example.com', body: 'bye' }, 'tcp-team');
    assert.equal(await c.exited, 0);
  },
);
