// The inspector: every event in order; for each, what travelled. A delivery shows the exact multipart POST
// (headers, parts) and the app's status, time and answer; a call the app made shows its request and answer;
// a call the emulator refused is highlighted with its code.
import type { JSX } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { clock, useStore } from '../hooks.js';
import type { Store } from '../store.js';
import { VirtualList } from '../virtual-list.js';
import type { AnyEvent, CallEvent, DeliveryResult, Exchange, OutboxEntry } from '../wire.js';

export function summary(e: AnyEvent): string {
  switch (e.type) {
    case 'sent': {
      const x = e.entry as OutboxEntry;
      return `${x.kind} ${x.from} → ${x.to.join(', ')}${x.body !== undefined ? `: ${x.body}` : ''}`;
    }
    case 'delivered': {
      const r = e.result as DeliveryResult;
      return `${r.kind} ${r.type} ${r.from} → ${r.to}${r.body !== undefined ? `: ${r.body}` : ''} · ${r.delivered ? r.status : 'NOT DELIVERED'}`;
    }
    case 'rejected':
      return `${String(e.call ?? '')} refused: ${String(e.code)} ${String(e.message ?? '')}`;
    case 'call':
      return `${String(e.call)} over ${String(e.protocol)}${e.method ? ` (${String(e.method)})` : ''} → ${describeAnswer(e.answer as CallEvent['answer'])}`;
    case 'presence':
      return `${String(e.jid)} ${describeState(e.presence as { available: boolean; show: string })}${e.subscribed ? ' · subscribed' : ''} (${String(e.source)})`;
    case 'config':
      return `${String(e.source)}: ${String(e.message)}`;
    case 'outbox.cleared':
      return `${String(e.count)} entries cleared`;
    default:
      return JSON.stringify(e).slice(0, 160);
  }
}

/** An answer in a few words: each recipient's status, or each JID's presence. */
function describeAnswer(a: CallEvent['answer']): string {
  if (a?.statuses) return `statuses ${a.statuses.join(', ')}`;
  if (a?.presence) return a.presence.map((p) => `${(p as { jid?: string }).jid ?? ''} ${p.valid ? describeState(p) : 'invalid'}`).join('; ');
  return 'ok';
}

function describeState(p: { available: boolean; show: string }): string {
  return p?.available ? `available${p.show ? ` (${p.show})` : ''}` : 'unavailable';
}

const isBad = (e: AnyEvent): boolean => e.type === 'rejected' || e.type === 'fault' || (e.type === 'delivered' && !(e.result as DeliveryResult).delivered);

export function Inspector({ store, selected }: { store: Store; selected: number | null }): JSX.Element {
  useStore(store);
  const [type, setType] = useState('');
  const [text, setText] = useState('');
  const events = store.here.events;
  const types = useMemo(() => [...new Set(events.map((e) => e.type))].sort(), [store.version, store.namespace]);
  const shown = useMemo(() => {
    const t = text.toLowerCase();
    return events.filter((e) => (!type || e.type === type) && (!t || JSON.stringify(e).toLowerCase().includes(t)));
  }, [store.version, store.namespace, type, text]);
  const chosen = selected !== null ? (store.bySeq.get(selected) ?? null) : null;
  const index = chosen ? shown.indexOf(chosen) : -1;

  return (
    <div class="inspector">
      <section class="events" aria-labelledby="events-h">
        <h2 id="events-h">
          Events <span class="count">{shown.length}</span>
        </h2>
        <div class="row filters">
          <label>
            Kind
            <select value={type} onChange={(e) => setType(e.currentTarget.value)}>
              <option value="">all</option>
              {types.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </label>
          <label class="grow">
            Search
            <input type="search" value={text} onInput={(e) => setText(e.currentTarget.value)} placeholder="text in any field" />
          </label>
        </div>
        <VirtualList
          count={shown.length}
          estimate={30}
          keyOf={(i) => shown[i]!.seq}
          label="Events, oldest first"
          class="event-list"
          follow={selected === null}
          scrollTo={index >= 0 ? index : null}
          row={(i) => {
            const e = shown[i]!;
            return (
              <a
                href={`#/inspector/${e.seq}`}
                class={`event ${isBad(e) ? 'bad' : ''} ${e.seq === selected ? 'current' : ''}`}
                aria-current={e.seq === selected ? 'true' : undefined}
              >
                <span class="seq">#{e.seq}</span>
                <time dateTime={e.time}>{clock(e.time)}</time>
                <span class={`kind k-${e.type.replace('.', '-')}`}>{e.type}</span>
                <span class="sum">{summary(e)}</span>
              </a>
            );
          }}
        />
      </section>
      <section class="detail" aria-labelledby="detail-h">
        <h2 id="detail-h">{chosen ? `Event #${chosen.seq}: ${chosen.type}` : 'Pick an event'}</h2>
        {chosen ? <Detail e={chosen} store={store} /> : <p class="empty">Choose an event on the left (arrow keys move between them) to see what travelled.</p>}
      </section>
    </div>
  );
}

function Detail({ e, store }: { e: AnyEvent; store: Store }): JSX.Element {
  return (
    <div class="detail-body">
      <p class="when">
        <time dateTime={e.time}>{e.time}</time>
      </p>
      {e.type === 'delivered' ? (
        <Delivery r={e.result as DeliveryResult} x={e.exchange as Exchange | undefined} replies={store.repliesTo.get((e.result as DeliveryResult).id) ?? []} />
      ) : null}
      {e.type === 'sent' ? <Sent entry={e.entry as OutboxEntry} cause={store.seqOfDelivery.get((e.entry as OutboxEntry).in_reply_to ?? '') ?? null} /> : null}
      {e.type === 'call' ? <Call e={e} store={store} /> : null}
      {e.type === 'rejected' ? <Rejected e={e} /> : null}
      <details open={!['delivered', 'sent', 'call', 'rejected'].includes(e.type)}>
        <summary>The event as JSON</summary>
        <pre class="code">{JSON.stringify(e, null, 2)}</pre>
      </details>
    </div>
  );
}

function Headers({ h, label }: { h: Record<string, string>; label: string }): JSX.Element {
  return (
    <table class="headers" aria-label={label}>
      <tbody>
        {Object.entries(h).map(([k, v]) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Links({ label, seqs }: { label: string; seqs: number[] }): JSX.Element | null {
  if (!seqs.length) return null;
  return (
    <p>
      {label}{' '}
      {seqs.map((s, i) => (
        <span key={s}>
          {i ? ', ' : ''}
          <a href={`#/inspector/${s}`}>#{s}</a>
        </span>
      ))}
    </p>
  );
}

function Delivery({ r, x, replies }: { r: DeliveryResult; x: Exchange | undefined; replies: number[] }): JSX.Element {
  return (
    <div>
      <Links label="What the app sent while handling it (in_reply_to):" seqs={replies} />
      <p class={r.delivered ? 'result ok' : 'result bad'}>
        {r.delivered ? `Delivered: the app answered ${r.status} in ${r.duration_ms} ms` : `Not delivered: ${r.reason ?? ''}`}
      </p>
      {x ? (
        <>
          <h3>Request sent to the app</h3>
          <p class="code-line">
            <code>POST {x.request.url}</code>
          </p>
          <Headers h={x.request.headers} label="Request headers" />
          <h4>multipart/form-data parts ({x.request.body_bytes} bytes in all)</h4>
          <ol class="parts" aria-label="Multipart parts">
            {x.request.parts.map((p) => (
              <li key={p.name} class="part">
                <div class="part-head">
                  <code>Content-Disposition: form-data; name="{p.name}"</code>
                  <br />
                  <code>Content-Type: {p.content_type}</code>
                </div>
                <pre class="code">
                  {p.value}
                  {p.truncated ? '\n… (cut for the inspector)' : ''}
                </pre>
              </li>
            ))}
          </ol>
          <h3>The app's answer</h3>
          {x.response ? (
            <>
              <p class={x.response.status < 300 ? 'result ok' : 'result bad'}>
                HTTP {x.response.status} in {r.duration_ms} ms · {x.response.body_bytes} bytes
              </p>
              <Headers h={x.response.headers} label="Response headers" />
              {x.response.body ? (
                <pre class="code">
                  {x.response.body}
                  {x.response.truncated ? '\n… (cut for the inspector)' : ''}
                </pre>
              ) : (
                <p class="empty">(empty body)</p>
              )}
            </>
          ) : (
            <p class="result bad">No answer: {r.reason}</p>
          )}
        </>
      ) : r.url === null ? (
        <p class="hint">Nothing was posted.</p>
      ) : null}
    </div>
  );
}

/** A call that changed something (send_message, send_invite, send_presence): its outbox entry is its request as
 * recorded, with the statuses it answered. */
function Sent({ entry, cause }: { entry: OutboxEntry; cause: number | null }): JSX.Element {
  return (
    <div>
      <p class="result ok">
        The app's {entry.kind} call over <code>{entry.protocol}</code>: answered
        {entry.statuses ? (
          <>
            {' '}
            <code>{JSON.stringify({ statuses: entry.statuses })}</code>
          </>
        ) : null}
      </p>
      <Links label="Sent while handling the delivery" seqs={cause === null ? [] : [cause]} />
      <h3>The outbox entry</h3>
      <pre class="code">{JSON.stringify(entry, null, 2)}</pre>
    </div>
  );
}

/** A read the app made and the emulator answered: the request as it travelled, and the answer. */
function Call({ e, store }: { e: AnyEvent; store: Store }): JSX.Element {
  const c = e as unknown as CallEvent;
  const cause = c.in_reply_to === null ? undefined : store.seqOfDelivery.get(c.in_reply_to);
  return (
    <div>
      <p class="result ok">
        Call <code>{c.call}</code> over <code>{c.protocol}</code>
        {c.method ? (
          <>
            {' '}
            as <code>{c.method}</code>
          </>
        ) : null}
        : answered
      </p>
      <Links label="Made while handling the delivery" seqs={cause === undefined ? [] : [cause]} />
      {c.in_reply_to !== null && cause === undefined ? <p>Made while handling delivery {c.in_reply_to} (no longer kept).</p> : null}
      <h3>Request{c.method ? ` (the decoded protobuf of ${c.method})` : ' (JSON)'}</h3>
      <pre class="code">{JSON.stringify(c.request ?? null, null, 2)}</pre>
      <h3>The answer</h3>
      <pre class="code">{JSON.stringify(c.answer, null, 2)}</pre>
    </div>
  );
}

function Rejected({ e }: { e: AnyEvent }): JSX.Element {
  return (
    <div>
      <p class="result bad rejected-code">
        <strong>{String(e.code)}</strong> · {String(e.message ?? '')}
      </p>
      <p>
        Call <code>{String(e.call ?? '?')}</code>
        {e.protocol ? (
          <>
            {' '}
            over <code>{String(e.protocol)}</code>
          </>
        ) : null}
      </p>
      <h3>Request</h3>
      <pre class="code">{JSON.stringify(e.request ?? null, null, 2)}</pre>
    </div>
  );
}
