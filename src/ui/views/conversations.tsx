// Conversations: one thread per user ↔ app address, as chat bubbles; a composer to send as any user.
import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { call } from '../api.js';
import { clock, useStore } from '../hooks.js';
import { bare, type Store, type Thread, type ThreadItem } from '../store.js';
import { VirtualList } from '../virtual-list.js';
import type { DeliveryResult, Info } from '../wire.js';
import { describeDelivery, Result, useAction } from './result.js';

const DEFAULT_USER = 'alice@example.com/phone';

export function Conversations({ store, info }: { store: Store; info: Info | null }): JSX.Element {
  useStore(store);
  const space = store.here;
  const threads = space.threadList();
  // The thread on screen survives a visit to another view.
  const [selected, setSelected] = useState<string | null>(space.selectedThread);
  const select = (key: string): void => {
    space.selectedThread = key;
    setSelected(key);
  };
  const current = (selected && space.threads.get(selected)) || threads[0] || null;
  useEffect(() => {
    if (current) store.markRead(current.key);
    return () => {
      space.openThread = null;
    };
  }, [current?.key, current?.items.length]);

  return (
    <div class="conversations">
      <section class="threads" aria-labelledby="threads-h">
        <h2 id="threads-h">Conversations</h2>
        {threads.length === 0 ? (
          <p class="empty">No messages yet. Send one as a user below; the app's replies appear here live.</p>
        ) : (
          <VirtualList
            count={threads.length}
            estimate={74}
            keyOf={(i) => threads[i]!.key}
            label="Threads, most recent first"
            class="thread-list"
            row={(i) => {
              const t = threads[i]!;
              return (
                <button
                  type="button"
                  class={`thread ${t.key === current?.key ? 'current' : ''}`}
                  aria-current={t.key === current?.key ? 'true' : undefined}
                  onClick={() => select(t.key)}
                >
                  <span class="who">
                    {t.user}
                    {space.sessions.has(t.user) ? (
                      <span class="tag" title="connected with an XMPP client">
                        XMPP
                      </span>
                    ) : null}
                  </span>
                  <span class="app">↔ {t.app}</span>
                  <span class="preview">{t.items[t.items.length - 1]?.body ?? ''}</span>
                  {t.unread ? (
                    <span class="unread" aria-label={`${t.unread} unread`}>
                      {t.unread}
                    </span>
                  ) : null}
                </button>
              );
            }}
          />
        )}
      </section>
      <section class="chat" aria-labelledby="chat-h">
        <h2 id="chat-h">{current ? `${current.user} ↔ ${current.app}` : 'New conversation'}</h2>
        {current ? <ThreadView thread={current} /> : <div class="vlist empty-chat" />}
        <Composer info={info} store={store} thread={current} onSent={(from, to) => select(`${bare(from)} ↔ ${bare(to)}`)} />
      </section>
    </div>
  );
}

function ThreadView({ thread }: { thread: Thread }): JSX.Element {
  return (
    <VirtualList
      key={thread.key}
      count={thread.items.length}
      estimate={64}
      keyOf={(i) => thread.items[i]!.key}
      label={`Messages between ${thread.user} and ${thread.app}`}
      class="messages"
      follow
      row={(i) => <Bubble item={thread.items[i]!} />}
    />
  );
}

function Bubble({ item }: { item: ThreadItem }): JSX.Element {
  const resource = item.dir === 'in' ? item.from.split('/')[1] : undefined;
  return (
    <div class={`bubble ${item.dir} ${item.ok ? '' : 'failed'}`}>
      <div class="body">{item.body || <em>(empty)</em>}</div>
      <div class="meta">
        <span class="sr-only">{item.dir === 'in' ? `from ${item.from}` : `reply from ${item.from}`}, </span>
        <time dateTime={item.time}>{clock(item.time)}</time>
        {resource ? <span> · /{resource}</span> : null}
        {item.type !== 'chat' ? <span> · {item.type || 'no type'}</span> : null}
        {item.loopback ? <span> · loop-back</span> : null}
        {' · '}
        <a href={`#/inspector/${item.seq}`}>inspect</a>
      </div>
      {item.note ? <div class="note">{item.note}</div> : null}
    </div>
  );
}

function Composer({
  info,
  store,
  thread,
  onSent,
}: {
  info: Info | null;
  store: Store;
  thread: Thread | null;
  onSent: (from: string, to: string) => void;
}): JSX.Element {
  const lastFrom = thread?.items.findLast((i) => i.dir === 'in')?.from;
  const [from, setFrom] = useState(lastFrom ?? DEFAULT_USER);
  const [to, setTo] = useState(thread?.app ?? '');
  const [type, setType] = useState('chat');
  const [body, setBody] = useState('');
  const [outcome, run, busy] = useAction();
  useEffect(() => {
    // Switching threads switches the sender, unless it already is that user (maybe with another resource).
    if (thread && bare(from) !== thread.user) {
      setFrom(lastFrom ?? thread.user);
      setTo(thread.app);
    }
  }, [thread?.key]);
  const appJid = info ? `${info.app_id}@appspot.com` : '';
  const addresses = useMemo(() => (info?.addresses ?? []).map((a) => a.replace(/^ANYTHING@/, 'bot@')), [info]);

  const send = (e?: Event): void => {
    e?.preventDefault();
    if (!body || busy) return;
    void run(async () => {
      const r = await call<DeliveryResult>('POST', '/v1/inbound/message', { from, ...(to ? { to } : {}), body, type });
      setBody('');
      onSent(from, r.to);
      return describeDelivery(r);
    });
  };
  return (
    <form class="composer" onSubmit={send} aria-label="Send a message to the app as a user">
      <div class="row">
        <label>
          As user (JID/resource)
          <input name="from" value={from} list="known-users" required onInput={(e) => setFrom(e.currentTarget.value)} autocomplete="off" spellcheck={false} />
        </label>
        <datalist id="known-users">
          {store.here.knownUsers().map((u) => (
            <option key={u} value={u} />
          ))}
        </datalist>
        <label>
          To (app address)
          <input
            name="to"
            value={to}
            list="app-addresses"
            placeholder={appJid}
            onInput={(e) => setTo(e.currentTarget.value)}
            autocomplete="off"
            spellcheck={false}
          />
        </label>
        <datalist id="app-addresses">
          {addresses.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <label>
          Type
          <select name="type" value={type} onChange={(e) => setType(e.currentTarget.value)}>
            <option value="chat">chat</option>
            <option value="normal">normal</option>
          </select>
        </label>
      </div>
      <div class="row">
        <label class="grow">
          Message <span class="hint">(Enter sends, Shift+Enter for a new line)</span>
          <textarea
            name="body"
            rows={2}
            value={body}
            onInput={(e) => setBody(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !e.shiftKey) send(e);
            }}
          />
        </label>
        <button type="submit" disabled={busy || !body}>
          Send
        </button>
      </div>
      <Result outcome={outcome} />
    </form>
  );
}
