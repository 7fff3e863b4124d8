// The web console in real headless Chromium, beside the sample bot: the newcomer's round trip from the browser alone.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Locator, Page, Route } from 'playwright-core';
import { startEchoBot, type RunningBot } from '../../fixtures/echo-bot/bot.js';
import { engineOf } from '../../src/core/start.js';
import { startEmulator, type RunningEmulator } from '../../src/index.js';
import { rpc } from '../api-server-client.js';
import { postJson } from '../helpers.js';
import { chromiumMissing, launchChromium } from './browser.js';
import { bodyOf, xmppjs } from './xmpp-stack.js';

/** Screenshots of each view, to look at (gitignored). */
const SHOTS = path.resolve('test-output', 'console');

/** Wait (at most 30 s) for a status line in `scope` to say `text`; on time-out, fail saying what the status lines said. */
async function statusSays(scope: Page | Locator, text: string | RegExp): Promise<void> {
  const lines = scope.getByRole('status');
  try {
    await lines.filter({ hasText: text }).first().waitFor({ timeout: 30_000 });
  } catch {
    assert.fail(`no status line said ${String(text)} within 30 s; they said: ${JSON.stringify(await lines.allTextContents())}`);
  }
}

describe('the web console', { skip: chromiumMissing() }, () => {
  let bot: RunningBot;
  let em: RunningEmulator;
  let browser: Browser;
  let page: Page;
  const client: { host?: string } = {};

  before(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    // The bot reads its client options at call time, so it can learn the emulator's port after both listen.
    bot = await startEchoBot({ port: 0, client });
    em = await startEmulator({ port: 0, appUrl: bot.url, appYaml: null });
    client.host = em.env.XMPP_EMULATOR_HOST;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  });
  after(async () => {
    await browser?.close();
    await em?.close();
    await bot?.close();
  });

  const shot = (name: string): Promise<Buffer> => page.screenshot({ path: path.join(SHOTS, `${name}.png`) });

  test('GET / serves the console under a strict Content-Security-Policy, with no inline script', async () => {
    const res = await fetch(`${em.url}/`);
    assert.equal(res.status, 200);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    const html = await res.text();
    for (const tag of html.match(/<script\b[^>]*>/g) ?? []) assert.match(tag, /\bsrc="\/ui\//, `an inline or remote script: ${tag}`);
    const js = await fetch(`${em.url}/ui/app.js`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
  });

  test('send "hello" as alice and see "Greetings!" in her thread', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
    await page.goto(`${em.url}/`);
    await statusSays(page, 'live');
    await page.getByLabel('As user (JID/resource)').fill('alice@example.com/phone');
    await page.getByLabel(/^Message/).fill('hello');
    await page.getByLabel(/^Message/).press('Enter');
    const thread = page.getByRole('list', { name: 'Messages between alice@example.com and dev-app@appspot.com' });
    await thread.locator('.bubble.in', { hasText: 'hello' }).waitFor();
    await thread.locator('.bubble.out', { hasText: 'Greetings!' }).waitFor();
    // The reply sits under the message that caused it.
    const bodies = await thread.locator('.bubble .body').allTextContents();
    assert.deepEqual(bodies.slice(-2), ['hello', 'Greetings!']);
    await statusSays(page, /Delivered: POST \/_ah\/xmpp\/message\/chat\/ answered 200/);
    await shot('conversations');
    assert.deepEqual(errors, [], 'no errors in the page (a CSP violation would show here)');
  });

  test("change bob's presence in place and get_presence agrees", async () => {
    await page.getByRole('link', { name: 'Presence' }).click();
    await page.getByLabel('Add a JID').fill('bob@example.com');
    await page.getByRole('button', { name: 'Add' }).click();
    await page.getByLabel('show of bob@example.com').selectOption('dnd');
    await statusSays(page, 'bob@example.com: available (dnd)');
    const status = page.getByLabel('status of bob@example.com');
    await status.fill('in a meeting');
    await status.press('Enter');
    await statusSays(page, 'bob@example.com: available (dnd) "in a meeting"');
    const r = await postJson(em.url, '/v1/xmpp/get_presence', { jid: 'bob@example.com/laptop' });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.presence[0], { jid: 'bob@example.com/laptop', valid: true, available: true, show: 'dnd', status: 'in a meeting' });
    await page.getByLabel('bob@example.com available', { exact: true }).uncheck();
    await statusSays(page, 'bob@example.com: unavailable');
    assert.equal((await postJson(em.url, '/v1/xmpp/get_presence', { jid: 'bob@example.com' })).body.presence[0].available, false);
    await shot('presence');
  });

  test('a presence listing that left before an edit and lands after its answer does not undo the edit', async () => {
    // bob is unavailable (the test before). From here the page's presence listings are held, each answered with what
    // the service said when it left.
    const isListing = (url: URL): boolean => url.pathname.endsWith('/v1/presence');
    const held: Array<() => Promise<void>> = [];
    let heard!: () => void;
    const firstHeld = new Promise<void>((resolve) => (heard = resolve));
    const hold = async (route: Route): Promise<void> => {
      if (route.request().method() !== 'GET') return route.continue();
      const response = await route.fetch();
      held.push(() => route.fulfill({ response }));
      heard();
    };
    await page.route(isListing, hold);
    const box = page.getByLabel('bob@example.com available', { exact: true });
    try {
      // A change made elsewhere makes the page refetch; that listing (bob unavailable) is held.
      const carol = await fetch(`${em.url}/v1/presence/carol@example.com`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ available: true }),
      });
      assert.equal(carol.status, 200);
      await firstHeld;
      // bob is made available; the edit's answer comes back while the older listing is still on its way.
      const answered = page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().includes('/v1/presence/bob%40example.com'));
      await box.check();
      assert.equal((await answered).status(), 200);
      await held[0]!();
      // The listing's answer is in; let the page render it and run its effects (two frames and a task each).
      await page.evaluate(
        () => new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(() => requestAnimationFrame(() => setTimeout(resolve))))),
      );
      assert.equal(await box.isChecked(), true, 'the listing from before the edit put bob back to unavailable');
    } finally {
      await page.unroute(isListing, hold);
      // Later listings are only let go: one the page has given up on meanwhile (a newer listing replaced it) is
      // already handled by Playwright, which refuses a second answer (seen under load in landings).
      for (const release of held.slice(1))
        await release().catch((e: unknown) => {
          if (!String(e).includes('Route is already handled')) throw e;
        });
    }
    assert.equal((await postJson(em.url, '/v1/xmpp/get_presence', { jid: 'bob@example.com' })).body.presence[0].available, true);
    assert.equal(await box.isChecked(), true);
  });

  test("the inspector of a delivery shows the multipart POST and the app's answer", async () => {
    await page.getByRole('link', { name: 'Conversations' }).click();
    const thread = page.getByRole('list', { name: /^Messages between alice@example.com/ });
    await thread.locator('.bubble.in', { hasText: 'hello' }).getByRole('link', { name: 'inspect' }).click();
    const detail = page.locator('.detail');
    await detail.getByText('Request sent to the app').waitFor();
    await detail.getByText(/POST http:\/\/127\.0\.0\.1:\d+\/_ah\/xmpp\/message\/chat\//).waitFor();
    const parts = detail.getByRole('list', { name: 'Multipart parts' }).locator('.part');
    const heads = await parts.locator('.part-head').allTextContents();
    for (const name of ['from', 'to', 'body', 'stanza'])
      assert.ok(
        heads.some((h) => h.includes(`name="${name}"`)),
        `a part named ${name}: ${heads.join(' | ')}`,
      );
    const body = parts.filter({ hasText: 'name="body"' });
    assert.equal((await body.locator('pre').textContent())?.trim(), 'hello');
    await detail.getByRole('table', { name: 'Request headers' }).getByText('X-AppEngine-Fake-Is-Admin').waitFor();
    await detail.getByText(/^HTTP 200 in [\d.]+ ms/).waitFor();
    await shot('inspector');
  });

  test('the outbox lists what the app sent, filtered by the control API', async () => {
    await page.getByRole('link', { name: 'Outbox' }).click();
    await page.getByRole('list', { name: 'Outbox entries, oldest first' }).getByText('Greetings!').waitFor();
    await page.getByLabel('Contains').fill('nothing like this');
    await page.getByRole('button', { name: 'Filter' }).click();
    await statusSays(page, '0 matching entries');
    await page.getByRole('button', { name: 'Show all' }).click();
    await page.getByRole('list', { name: 'Outbox entries, oldest first' }).getByText('Greetings!').waitFor();
    await shot('outbox');
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByText(bot.url).waitFor();
    await page.getByText(/^answers \(HTTP \d+ in \d+ ms\)$/).waitFor();
    await shot('overview');
  });

  test('after the feed drops, the console reconnects by itself and shows what it missed, each entry once', async () => {
    const watched = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // Count the page's WebSockets, to close the live one and to see the reconnects fail while offline.
    await watched.addInitScript(() => {
      const Native = window.WebSocket;
      const w = window as unknown as { sockets: WebSocket[] };
      w.sockets = [];
      window.WebSocket = class extends Native {
        constructor(url: string | URL, protocols?: string | string[]) {
          super(url, protocols);
          w.sockets.push(this);
        }
      };
    });
    const send = (body: string): Promise<unknown> => postJson(em.url, '/v1/xmpp/send_message', { jids: 'rita@example.com', body });
    await watched.goto(`${em.url}/#/outbox`);
    await statusSays(watched, 'live');
    for (let i = 1; i <= 3; i++) await send(`before ${i}`);
    const list = watched.getByRole('list', { name: 'Outbox entries, oldest first' });
    await list.getByText('before 3', { exact: true }).waitFor();
    await watched.context().setOffline(true);
    await watched.evaluate(() => (window as unknown as { sockets: WebSocket[] }).sockets.at(-1)!.close());
    await statusSays(watched, 'offline');
    for (let i = 1; i <= 3; i++) await send(`during ${i}`);
    // A reconnect attempt has failed while offline, so the page has not seen these yet.
    const opened = await watched.evaluate(() => (window as unknown as { sockets: WebSocket[] }).sockets.length);
    await watched.waitForFunction((n) => (window as unknown as { sockets: WebSocket[] }).sockets.length > n, opened);
    assert.equal(await list.getByText('during 1', { exact: true }).count(), 0);
    await watched.context().setOffline(false);
    await statusSays(watched, 'live');
    await list.getByText('during 3', { exact: true }).waitFor();
    await send('after');
    await list.getByText('after', { exact: true }).waitFor();
    const bodies = (await list.locator('.sum').allTextContents()).filter((b) => /^(before|during|after)/.test(b));
    assert.deepEqual(bodies, ['before 1', 'before 2', 'before 3', 'during 1', 'during 2', 'during 3', 'after']);
    await watched.close();
  });

  test('a connected XMPP client has its thread, tagged, and its chat with the bot shows there', async () => {
    const dave = await xmppjs(em, { username: 'dave', resource: 'tablet' });
    await dave.raw.start();
    await page.getByRole('link', { name: /^Conversations/ }).click();
    const entry = page.getByRole('list', { name: 'Threads, most recent first' }).getByRole('button', { name: /dave@example\.com/ });
    await entry.getByText('XMPP').waitFor();
    await dave.raw.send(dave.xml('message', { to: 'dev-app@appspot.com', type: 'chat' }, dave.xml('body', {}, 'hello from xmpp')));
    await dave.stanza((st) => st.is('message') && bodyOf(st) === 'Greetings!');
    await entry.click();
    const thread = page.getByRole('list', { name: 'Messages between dave@example.com and dev-app@appspot.com' });
    await thread.locator('.bubble.in', { hasText: 'hello from xmpp' }).waitFor();
    await thread.locator('.bubble.out', { hasText: 'Greetings!' }).waitFor();
    await shot('conversations-xmpp');
    await dave.raw.stop();
  });

  test('a call the emulator refused is highlighted with its code, in the inspector and in the thread', async () => {
    // The test plays the app here: a send_message with a message type the service never had.
    const r = await postJson(em.url, '/v1/xmpp/send_message', { jids: 'alice@example.com', body: 'shout', message_type: 'yell' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'INVALID_TYPE');
    await page.getByRole('link', { name: /^Inspector/ }).click();
    await page.getByRole('link', { name: /^Inspector.*1 refused call/ }).waitFor();
    const row = page.locator('.event.bad', { hasText: 'INVALID_TYPE' });
    await row.click();
    await page.locator('.rejected-code', { hasText: 'INVALID_TYPE' }).waitFor();
    await page.locator('.detail').getByText('send_message', { exact: true }).waitFor();
    await shot('inspector-rejected');
    await page.getByRole('link', { name: /^Conversations/ }).click();
    await page
      .getByRole('list', { name: 'Threads, most recent first' })
      .getByRole('button', { name: /alice@example\.com/ })
      .click();
    const thread = page.getByRole('list', { name: /^Messages between alice@example.com/ });
    await thread
      .locator('.bubble.failed', { hasText: 'shout' })
      .getByText(/^INVALID_TYPE: /)
      .waitFor();
  });

  test("every call the app made is in the inspector: the bot's get_presence, a Go app's BulkGetPresence, with request and answer", async () => {
    await page.getByRole('link', { name: /^Conversations/ }).click();
    await page.getByLabel('As user (JID/resource)').fill('alice@example.com/phone');
    await page.getByRole('textbox', { name: /^Message/ }).fill('/status');
    await page.getByRole('textbox', { name: /^Message/ }).press('Enter');
    const thread = page.getByRole('list', { name: /^Messages between alice@example.com/ });
    await thread.locator('.bubble.out', { hasText: /^You (are|look)/ }).waitFor();
    // The test plays a Go app on the API-server protocol.
    const answer = await rpc(em.url, '/rpc_http', 'xmpp', 'BulkGetPresence', { jid: ['bob@example.com', 'alice@example.com'] });
    assert.equal(answer.status, 200);
    await page.getByRole('link', { name: /^Inspector/ }).click();
    await page.getByLabel('Kind').selectOption('call');
    const events = page.getByRole('list', { name: 'Events, oldest first' });
    await events.locator('.event', { hasText: /get_presence over json → alice@example\.com\/phone/ }).click();
    const detail = page.locator('.detail');
    await detail.getByRole('heading', { name: 'Request (JSON)' }).waitFor();
    await detail.locator('pre', { hasText: '"jid": "alice@example.com/phone"' }).first().waitFor();
    await detail.getByRole('heading', { name: 'The answer' }).waitFor();
    await detail.locator('pre', { hasText: '"available": true' }).first().waitFor();
    // It links to the delivery whose handler made it.
    await detail.getByText('Made while handling the delivery').getByRole('link').click();
    await detail.getByText('Request sent to the app').waitFor();
    await page.getByRole('link', { name: /^Inspector/ }).click();
    await page.getByLabel('Kind').selectOption('call');
    await events.locator('.event', { hasText: 'get_presence over rpc_http (xmpp.BulkGetPresence)' }).click();
    await detail.getByRole('heading', { name: 'Request (the decoded protobuf of xmpp.BulkGetPresence)' }).waitFor();
    await detail.locator('pre', { hasText: '"bob@example.com"' }).first().waitFor();
    await shot('inspector-call');
    await page.getByLabel('Kind').selectOption('');
  });

  test('the fault panel adds a rule, shows it fire, and removes it', async () => {
    await page.getByRole('link', { name: 'Faults' }).click();
    await page.getByText('No fault rules').waitFor();
    // A bad rule is refused with the emulator's own message.
    await page.getByLabel('Effect').selectOption('latency_ms');
    await page.getByLabel('Latency (ms)').fill('soon');
    await page.getByRole('button', { name: 'Add the rule' }).click();
    await statusSays(page, /^BAD_REQUEST: .*latency_ms/);
    await page.getByLabel('Effect').selectOption('error');
    await page.getByLabel('Error code').fill('OVER_QUOTA');
    await page.getByLabel('Times').fill('1');
    await page.getByLabel('Name', { exact: true }).fill('quota day');
    await page.getByRole('button', { name: 'Add the rule' }).click();
    const rules = page.getByRole('table', { name: 'Fault rules' });
    const rule = rules.getByRole('row', { name: /quota day/ });
    await rule.waitFor();
    // The bot's next reply hits it.
    await postJson(em.url, '/v1/inbound/message', { from: 'erin@example.com', body: 'hello' });
    await page
      .getByRole('list', { name: 'Faults fired, newest first' })
      .getByText(/quota day\): send_message → error OVER_QUOTA · erin@example.com/)
      .waitFor();
    await rule.getByRole('cell', { name: '1', exact: true }).waitFor();
    await shot('faults');
    await rule.getByRole('button', { name: /^Remove fault / }).click();
    await page.getByText('No fault rules').waitFor();
    assert.deepEqual((await (await fetch(`${em.url}/v1/faults`)).json()) as unknown, { faults: [] });
  });

  test('the namespace picker shows and drives another namespace, and keeps it after a reload', async () => {
    const picker = page.getByLabel('Namespace');
    await picker.fill('bad name!');
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: /namespace "bad name!" must be/ })
      .waitFor();
    await picker.fill('team-a');
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await page.getByRole('link', { name: /^Conversations/ }).click();
    await page.getByText('No messages yet').waitFor();
    await page.getByLabel('As user (JID/resource)').fill('carol@example.com/desk');
    await page.getByRole('textbox', { name: /^Message/ }).fill('hello');
    await page.getByRole('textbox', { name: /^Message/ }).press('Enter');
    const thread = page.getByRole('list', { name: 'Messages between carol@example.com and dev-app@appspot.com' });
    await thread.locator('.bubble.out', { hasText: 'Greetings!' }).waitFor();
    // Both the injection and the bot's reply are team-a's, not the default's.
    const outboxOf = async (prefix: string): Promise<string[]> =>
      ((await (await fetch(`${em.url}${prefix}/v1/outbox`)).json()) as { entries: Array<{ body?: string; to: string[] }> }).entries
        .filter((e) => e.to.some((t) => t.startsWith('carol@')))
        .map((e) => e.body ?? '');
    assert.deepEqual(await outboxOf('/ns/team-a'), ['Greetings!']);
    assert.deepEqual(await outboxOf(''), []);
    await page.getByRole('link', { name: 'Outbox' }).click();
    await page.waitForFunction(() => document.querySelector('#outbox-h .count')?.textContent === '1');
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByText(/^1 kept of/).waitFor();
    await shot('namespace-team-a');
    // After a reload the page is still in team-a, with its thread (replayed from the feed).
    await page.reload();
    await statusSays(page, 'live');
    assert.equal(await page.getByLabel('Namespace').inputValue(), 'team-a');
    await page.getByRole('link', { name: /^Conversations/ }).click();
    await thread.locator('.bubble.out', { hasText: 'Greetings!' }).waitFor();
    // Clear acts on team-a only.
    await page.getByRole('link', { name: 'Outbox' }).click();
    await page.getByRole('button', { name: 'Clear the outbox' }).click();
    await statusSays(page, 'Cleared 1 entries');
    assert.ok(((await (await fetch(`${em.url}/v1/outbox`)).json()) as { entries: unknown[] }).entries.length > 0, 'the default outbox is untouched');
    await page.getByLabel('Namespace').fill('default');
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await page.getByRole('link', { name: /^Conversations/ }).click();
    await page
      .getByRole('list', { name: 'Threads, most recent first' })
      .getByRole('button', { name: /alice@example\.com/ })
      .waitFor();
    assert.equal(
      await page
        .getByRole('list', { name: 'Threads, most recent first' })
        .getByRole('button', { name: /carol@example\.com/ })
        .count(),
      0,
    );
  });

  test('the inject forms deliver a presence with show and status, a subscription and an error stanza; a normal message as a user', async () => {
    await page.getByRole('link', { name: 'Presence' }).click();
    const presence = page.getByRole('form', { name: 'Inject a presence' });
    await presence.getByLabel('From').fill('frank@example.com/laptop');
    await presence.getByLabel('Show').selectOption('away');
    await presence.getByLabel('Status').fill('at lunch');
    await presence.getByRole('button', { name: 'Send presence' }).click();
    await statusSays(presence, /^Delivered: POST \/_ah\/xmpp\/presence\/available\/ answered 200/);
    const seen = (await postJson(em.url, '/v1/xmpp/get_presence', { jid: 'frank@example.com' })).body.presence[0];
    assert.deepEqual([seen.available, seen.show, seen.status], [true, 'away', 'at lunch']);
    const subscription = page.getByRole('form', { name: 'Inject a subscription' });
    await subscription.getByLabel('From').fill('gina@example.com');
    await subscription.getByRole('button', { name: 'Send subscription' }).click();
    await statusSays(subscription, /^Delivered: POST \/_ah\/xmpp\/subscription\/subscribe\/ answered 200/);
    const error = page.getByRole('form', { name: 'Inject an error stanza' });
    await error.getByLabel('From').fill('hank@example.com');
    await error.getByRole('button', { name: 'Send error' }).click();
    await statusSays(error, /^Delivered: POST \/_ah\/xmpp\/error\/ answered 200/);
    assert.deepEqual(
      bot.received.filter((r) => ['frank', 'gina', 'hank'].some((u) => r.from.startsWith(u))).map((r) => [r.kind, r.from, r.type]),
      [
        ['presence', 'frank@example.com/laptop', 'available'],
        ['subscription', 'gina@example.com', 'subscribe'],
        ['error', 'hank@example.com', undefined],
      ],
    );
    await shot('presence-injected');
    // A normal (not chat) message from a user with a resource, through the composer.
    await page.getByRole('link', { name: /^Conversations/ }).click();
    await page.getByLabel('As user (JID/resource)').fill('ivy@example.com/work');
    await page.getByRole('form', { name: 'Send a message to the app as a user' }).getByRole('combobox', { name: 'Type' }).selectOption('normal');
    await page.getByRole('textbox', { name: /^Message/ }).fill('hello there');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await statusSays(page, /Delivered: POST \/_ah\/xmpp\/message\/chat\/ answered 200/);
    const ivy = page.getByRole('list', { name: 'Messages between ivy@example.com and dev-app@appspot.com' });
    await ivy.locator('.bubble.out', { hasText: 'Greetings!' }).waitFor();
    const delivered = (await (await fetch(`${em.url}/v1/outbox?to=ivy@example.com`)).json()) as { entries: Array<{ in_reply_to: string }> };
    assert.equal(delivered.entries.length, 1);
    await page.getByRole('form', { name: 'Send a message to the app as a user' }).getByRole('combobox', { name: 'Type' }).selectOption('chat');
  });

  test("the transcript downloads as JSON lines, with the app's calls in it", async () => {
    await page.getByRole('link', { name: 'Outbox' }).click();
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 30_000 }),
      page.getByRole('button', { name: /^Download transcript/ }).click(),
    ]);
    assert.equal(download.suggestedFilename(), 'xmpp-emu-transcript.jsonl');
    const text = fs.readFileSync(await download.path(), 'utf8');
    const events = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; seq: number; entry?: { body?: string } });
    assert.ok(events.some((e) => e.type === 'sent' && e.entry?.body === 'Greetings!'));
    assert.ok(events.some((e) => e.type === 'call'));
    const seqs = events.map((e) => e.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
      'in order',
    );
    assert.equal(new Set(seqs).size, seqs.length, 'each once');
  });

  test('accessible: every control has a name, Tab reaches them with a visible focus ring, in every view', async () => {
    for (const view of ['Conversations', 'Presence', 'Inspector', 'Outbox', 'Faults', 'Overview']) {
      await page.getByRole('link', { name: new RegExp(`^${view}`) }).click();
      await page.locator('main h2').first().waitFor();
      const unnamed = await page.evaluate(() =>
        [...document.querySelectorAll('input, select, textarea, button')]
          .filter((el) => {
            const c = el as HTMLInputElement;
            const name =
              (c.labels?.length ? [...c.labels].map((l) => l.textContent).join('') : '') +
              (c.getAttribute('aria-label') ?? '') +
              (c.getAttribute('aria-labelledby') ?? '');
            return c.type !== 'hidden' && !name.trim() && !(c.tagName === 'BUTTON' && c.textContent?.trim());
          })
          .map((el) => el.outerHTML.slice(0, 120)),
      );
      assert.deepEqual(unnamed, [], `${view}: controls without a name`);
    }
    await page.getByRole('link', { name: /^Conversations/ }).focus();
    await page.keyboard.press('Tab');
    const ring = await page.evaluate(() => {
      const s = getComputedStyle(document.activeElement!);
      return { tag: document.activeElement!.tagName, outline: s.outlineStyle, width: parseFloat(s.outlineWidth) };
    });
    assert.notEqual(ring.outline, 'none', `the focused ${ring.tag} shows where the focus is`);
    assert.ok(ring.width >= 2, `a focus ring of ${ring.width}px`);
    // Keyboard only: Enter on a focused tab opens its view.
    await page.getByRole('link', { name: 'Faults' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: /^Fault rules/ }).waitFor();
  });

  test('10,000 outbox entries: only the rows in view are in the page, and End reaches the last', async () => {
    const engine = engineOf(em);
    for (let i = 1; i <= 10_000; i++) engine.sendMessage({ jids: `load${i % 50}@example.com`, body: `load ${i}` });
    await page.getByRole('link', { name: 'Outbox' }).click();
    const list = page.getByRole('list', { name: 'Outbox entries, oldest first' });
    await list
      .getByText('load 10000', { exact: true })
      .or(list.getByText('load 1', { exact: true }))
      .first()
      .waitFor();
    await page.waitForFunction(() => Number(document.querySelector('#outbox-h .count')?.textContent) >= 10_000);
    const rows = await list.locator('.vrow').count();
    assert.ok(rows > 5 && rows < 100, `${rows} rows in the page for 10,000 entries`);
    await list.locator('.outbox-row').first().focus();
    await page.keyboard.press('End');
    await list.getByText('load 10000', { exact: true }).waitFor();
    await shot('outbox-10k');
  });

  test('dark theme', async () => {
    await page.getByLabel('Theme').selectOption('dark');
    await page.getByRole('link', { name: /^Conversations/ }).click();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    await shot('conversations-dark');
    await page.getByLabel('Theme').selectOption('auto');
  });

  test('a page from another origin cannot drive the control API or open the feed', async () => {
    const events: unknown[] = [];
    const off = em.onEvent((e) => events.push(e));
    const before = (await (await fetch(`${em.url}/v1/outbox`)).json()) as { entries: unknown[] };
    assert.ok(before.entries.length > 0);
    const other = http.createServer((_req, res) => res.end('<!doctype html><title>elsewhere</title>'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const evil = await browser.newPage();
      await evil.goto(`http://localhost:${(other.address() as AddressInfo).port}/`);
      const outcome = await evil.evaluate(async (target) => {
        const tries: Record<string, string> = {};
        const attempt = async (name: string, f: () => Promise<Response>): Promise<void> => {
          try {
            tries[name] = String((await f()).status);
          } catch (e) {
            tries[name] = `blocked: ${(e as Error).message}`;
          }
        };
        // No-preflight requests: the browser sends them, so only the emulator's guard can stop them.
        await attempt('inject', () =>
          fetch(`${target}/v1/inbound/message`, {
            method: 'POST',
            mode: 'no-cors',
            headers: { 'Content-Type': 'text/plain' },
            body: JSON.stringify({ from: 'mallory@evil.example', body: 'from a web page' }),
          }),
        );
        await attempt('clear', () => fetch(`${target}/v1/outbox`, { method: 'DELETE' }));
        await attempt('read', () => fetch(`${target}/v1/outbox`));
        tries.feed = await new Promise<string>((resolve) => {
          const ws = new WebSocket(`${target.replace('http', 'ws')}/v1/events`);
          ws.onopen = () => resolve('opened');
          ws.onerror = () => resolve('refused');
        });
        return tries;
      }, em.url);
      await evil.close();
      assert.match(outcome.read!, /^blocked/);
      assert.equal(outcome.feed, 'refused');
      const after = (await (await fetch(`${em.url}/v1/outbox`)).json()) as { entries: unknown[] };
      assert.equal(after.entries.length, before.entries.length, 'the outbox was not cleared');
      assert.deepEqual(
        events.filter((e) => JSON.stringify(e).includes('mallory')),
        [],
        'nothing was injected',
      );
    } finally {
      off();
      await new Promise((resolve) => other.close(resolve));
    }
  });
});
