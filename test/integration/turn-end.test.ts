// Concurrent calls from many connections, answered together at the end of a turn (src/http/turn-answers.ts): each
// caller gets its own answer, refusals included, over JSON and /rpc_http, and every call's event comes before it.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { startEmulator, type EmulatorEvent, type RunningEmulator } from '../../src/index.js';
import { decodeAnswer, rpc } from '../api-server-client.js';

let em: RunningEmulator;
const heard: EmulatorEvent[] = [];
before(async () => {
  em = await startEmulator({ port: 0, appId: 'my-app', appYaml: null });
  em.onEvent((e) => heard.push(e));
});
after(() => em.close());

const N = 48;
/** Call i names i + 1 recipients, the last one invalid when i is odd: its statuses are its own. */
const jidsOf = (i: number): string[] => Array.from({ length: i + 1 }, (_, k) => (k === i && i % 2 === 1 ? `not a jid ${i}` : `u${i}.${k}@example.com`));
const statusesOf = (i: number): number[] => jidsOf(i).map((j) => (j.startsWith('not') ? 1 : 0));

/** One POST on a connection of its own (no agent: N sockets at once). */
function postAlone(path: string, body: string): Promise<{ status: number; text: string }> {
  const u = new URL(path, em.url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent: false, headers: { 'Content-Type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

test('many calls at once over JSON: each connection gets its own answer (statuses or coded error), after its event', async () => {
  heard.length = 0;
  const calls = Array.from({ length: N }, async (_, i) => {
    // Every seventh call is refused (no body): its rejected event, then its coded error.
    const refused = i % 7 === 3;
    const body = JSON.stringify(refused ? { jids: jidsOf(i) } : { jids: jidsOf(i), body: `call ${i}` });
    const r = await postAlone('/v1/xmpp/send_message', body);
    // (a refused request's list is cut to 32 items in its event: its first recipient names the call)
    const first = jidsOf(i)[0];
    const event = heard.find((e) =>
      refused ? e.type === 'rejected' && (e.request as { jids: string[] }).jids[0] === first : e.type === 'sent' && e.entry.body === `call ${i}`,
    );
    assert.ok(event, `call ${i}: its event was heard before its answer arrived`);
    if (refused) {
      assert.equal(r.status, 400, `call ${i}`);
      assert.equal(JSON.parse(r.text).error.code, 'NO_BODY', `call ${i}`);
    } else {
      assert.equal(r.status, 200, `call ${i}`);
      assert.deepEqual(JSON.parse(r.text), { statuses: statusesOf(i) }, `call ${i}`);
    }
  });
  await Promise.all(calls);
  assert.equal(heard.filter((e) => e.type === 'sent').length, N - Math.ceil((N - 3) / 7));
});

test('many SendMessage calls at once over /rpc_http: each gets its own statuses, after its event', async () => {
  heard.length = 0;
  await Promise.all(
    Array.from({ length: N }, async (_, i) => {
      const a = await rpc(em.url, '/rpc_http', 'xmpp', 'SendMessage', { jid: jidsOf(i), body: `rpc ${i}`, type: 'chat' });
      assert.ok(
        heard.some((e) => e.type === 'sent' && e.entry.body === `rpc ${i}`),
        `call ${i}: its event was heard before its answer arrived`,
      );
      assert.equal(a.status, 200);
      assert.deepEqual(decodeAnswer('SendMessage', a), { status: statusesOf(i) }, `call ${i}`);
    }),
  );
});
