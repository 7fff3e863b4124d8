// `start` says when the app URL does not answer yet and when it does; an app that fails before it ever called the
// emulator gets a hint that it may be calling another one.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, test } from 'node:test';
import { killAll, runCli } from '../cli-process.js';
import { closedPort, postJson } from '../helpers.js';

const servers: http.Server[] = [];
after(() => {
  killAll();
  for (const s of servers) s.close();
});

test('start: "does not answer yet", then "answers now"; a 500 from an app that never called brings the hint once', async () => {
  const port = await closedPort();
  const url = `http://127.0.0.1:${port}`;
  const c = runCli(['start', '--no-repl', '--port', '0', '--app-url', url]);
  await c.waitFor(new RegExp(`app ${url} does not answer yet \\(connection refused\\)`));
  const host = /export XMPP_EMULATOR_HOST=(\S+)/.exec(c.stdout())![1]!;
  // The app comes up: it answers every POST with 500 and never calls the emulator.
  const app = http.createServer((_req, res) => res.writeHead(500).end());
  servers.push(app);
  await new Promise<void>((r) => app.listen(port, '127.0.0.1', () => r()));
  await c.waitFor(new RegExp(`app ${url} answers now`));
  for (const body of ['one', 'two']) {
    const r = await postJson(`http://${host}`, '/v1/inbound/message', { from: 'alice@example.com', body });
    assert.equal(r.body.status, 500);
  }
  const out = await c.waitFor(/"two"/);
  assert.match(out, /"one"\n {2}hint: the app failed and has not called this emulator yet/);
  assert.equal(out.split('hint:').length - 1, 1, 'said once');
  c.child.kill('SIGINT');
  assert.equal(await c.exited, 0);
});
