// Presence and subscriptions: every known JID, editable in place (PUT /v1/presence/:jid); forms that inject
// presence, subscription requests and error stanzas as if the users' clients had sent them.
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { call, compact } from '../api.js';
import { useFetch, useStore, useThrottled } from '../hooks.js';
import type { Store } from '../store.js';
import type { DeliveryResult, PresenceListing, PresenceState } from '../wire.js';
import { describeDelivery, Result, useAction } from './result.js';

const SHOWS = ['', 'away', 'chat', 'dnd', 'xa'];
type Row = PresenceState & { jid: string; subscribed: boolean; invited: boolean };

export function Presence({ store }: { store: Store }): JSX.Element {
  useStore(store);
  // Refetched after this namespace's presence changes or reset, and after a presence file reload (every namespace's).
  const changedAt = Math.max(
    store.here.events.findLast((e) => e.type === 'presence' || e.type === 'reset')?.seq ?? 0,
    store.events.findLast((e) => e.type === 'config')?.seq ?? 0,
  );
  const presenceSeq = useThrottled(changedAt, 150);
  const { data, error, sentAt } = useFetch<PresenceListing>('/v1/presence', presenceSeq);
  const [added, setAdded] = useState<string[]>([]);
  const listed = new Map((data?.jids ?? []).map((r) => [r.jid, r]));
  const defaults: Row = { jid: '', ...(data?.default ?? { available: true, show: '', status: '' }), subscribed: false, invited: false };
  // Users seen in conversations read as the default until set.
  for (const jid of [...store.here.knownUsers(), ...added]) if (!listed.has(jid)) listed.set(jid, { ...defaults, jid });
  const rows = [...listed.values()].sort((a, b) => a.jid.localeCompare(b.jid));

  return (
    <div class="presence">
      <section aria-labelledby="presence-h">
        <h2 id="presence-h">Presence and subscriptions</h2>
        <p class="hint">
          What <code>get_presence</code> answers for each JID. Others read as the default: <strong>{data ? describe(data.default) : '…'}</strong>
          {data?.strict ? ' (strict: only subscribed JIDs are reported)' : ''}. Changes apply at once.
        </p>
        {error ? (
          <p class="result bad" role="alert">
            {error}
          </p>
        ) : null}
        <table class="grid">
          <thead>
            <tr>
              <th scope="col">JID</th>
              <th scope="col">Available</th>
              <th scope="col">Show</th>
              <th scope="col">Status</th>
              <th scope="col">Subscribed</th>
              <th scope="col">Invited</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <PresenceRow key={r.jid} row={r} listedAt={sentAt} />
            ))}
          </tbody>
        </table>
        <AddJid onAdd={(jid) => setAdded((a) => [...a, jid])} />
      </section>
      <section aria-labelledby="inject-h" class="inject">
        <h2 id="inject-h">Inject from a user</h2>
        <InjectPresence />
        <InjectSubscription />
        <InjectError />
      </section>
    </div>
  );
}

function describe(p: PresenceState): string {
  return p.available ? `available${p.show ? ` (${p.show})` : ''}` : 'unavailable';
}

function PresenceRow({ row: given, listedAt }: { row: Row; listedAt: number }): JSX.Element {
  const [outcome, run] = useAction();
  // Edits apply to what is on screen at once, so a second edit does not undo a first one still on its way.
  const [row, setRow] = useState(given);
  // A listing whose request left before the row's latest edit (a refetch for a change made a moment earlier) must not
  // put the old values back under the user's click, whether it lands while the edit is on its way or just after its
  // answer: the edit's answer, then the refetch its own presence event brings, say what is true.
  const editing = useRef(0);
  const editSentAt = useRef(-1);
  const latest = useRef(given);
  latest.current = given;
  useEffect(() => {
    if (editing.current === 0 && listedAt > editSentAt.current) setRow(given);
  }, [given.available, given.show, given.status, given.subscribed, given.invited, listedAt]);
  // The status being typed is the page's own until it is sent (on Enter or leaving the field): a refetch that lands
  // meanwhile does not replace the input under the typist; a change from elsewhere shows once it is not being edited.
  const [status, setStatus] = useState(row.status);
  useEffect(() => setStatus(row.status), [row.status]);
  const put = (change: Partial<Row>): void => {
    const next = { ...row, ...change };
    setRow(next);
    editing.current++;
    editSentAt.current = performance.now();
    void run(async () => {
      let answer: Row | null = null;
      try {
        const r = await call<Row>('PUT', `/v1/presence/${encodeURIComponent(row.jid)}`, {
          available: next.available,
          show: next.show,
          status: next.status,
          // Sent only when toggled: setting a user's presence otherwise counts them as subscribed (they chat with the bot).
          ...('subscribed' in change ? { subscribed: next.subscribed } : {}),
        });
        answer = r;
        return { ok: true, text: `${row.jid}: ${describe(r)}${r.status ? ` "${r.status}"` : ''}${r.subscribed ? ', subscribed' : ''}` };
      } finally {
        // The last edit to come back shows the service's answer (or, if it failed, what the last refetch said).
        if (--editing.current === 0)
          setRow(
            answer
              ? { ...latest.current, available: answer.available, show: answer.show, status: answer.status, subscribed: answer.subscribed }
              : latest.current,
          );
      }
    });
  };
  return (
    <tr>
      <th scope="row">
        {row.jid}
        <Result outcome={outcome} />
      </th>
      <td>
        <input
          type="checkbox"
          aria-label={`${row.jid} available`}
          checked={row.available}
          onChange={(e) => put({ available: e.currentTarget.checked, ...(e.currentTarget.checked ? {} : { show: '' }) })}
        />
      </td>
      <td>
        <select
          aria-label={`show of ${row.jid}`}
          value={row.show}
          disabled={!row.available}
          onChange={(e) => put({ show: e.currentTarget.value as Row['show'] })}
        >
          {SHOWS.map((s) => (
            <option key={s} value={s}>
              {s || '(none)'}
            </option>
          ))}
        </select>
      </td>
      <td>
        <input
          aria-label={`status of ${row.jid}`}
          value={status}
          maxLength={1024}
          onInput={(e) => setStatus(e.currentTarget.value)}
          onChange={(e) => put({ status: e.currentTarget.value })}
          onKeyDown={(e) => e.key === 'Enter' && e.currentTarget.blur()}
        />
      </td>
      <td>
        <input type="checkbox" aria-label={`${row.jid} subscribed`} checked={row.subscribed} onChange={(e) => put({ subscribed: e.currentTarget.checked })} />
      </td>
      <td>{row.invited ? 'yes' : ''}</td>
    </tr>
  );
}

function AddJid({ onAdd }: { onAdd: (jid: string) => void }): JSX.Element {
  const [jid, setJid] = useState('');
  return (
    <form
      class="row"
      onSubmit={(e) => {
        e.preventDefault();
        if (jid) onAdd(jid.trim().toLowerCase());
        setJid('');
      }}
    >
      <label>
        Add a JID
        <input value={jid} placeholder="bob@example.com" onInput={(e) => setJid(e.currentTarget.value)} spellcheck={false} />
      </label>
      <button type="submit">Add</button>
    </form>
  );
}

function Field({ label, value, set, placeholder }: { label: string; value: string; set: (v: string) => void; placeholder?: string }): JSX.Element {
  return (
    <label>
      {label}
      <input value={value} placeholder={placeholder} onInput={(e) => set(e.currentTarget.value)} spellcheck={false} />
    </label>
  );
}

function Choice({ label, value, set, options }: { label: string; value: string; set: (v: string) => void; options: string[] }): JSX.Element {
  return (
    <label>
      {label}
      <select value={value} onChange={(e) => set(e.currentTarget.value)}>
        {options.map((o) => (
          <option key={o} value={o}>
            {o || '(none)'}
          </option>
        ))}
      </select>
    </label>
  );
}

function InjectPresence(): JSX.Element {
  const [from, setFrom] = useState('bob@example.com/laptop');
  const [to, setTo] = useState('');
  const [type, setType] = useState('available');
  const [show, setShow] = useState('');
  const [status, setStatus] = useState('');
  const [outcome, run, busy] = useAction();
  return (
    <form
      class="card"
      aria-label="Inject a presence"
      onSubmit={(e) => {
        e.preventDefault();
        void run(async () => describeDelivery(await call<DeliveryResult>('POST', '/v1/inbound/presence', compact({ from, to, type, show, status }))));
      }}
    >
      <h3>Presence</h3>
      <div class="row">
        <Field label="From" value={from} set={setFrom} />
        <Field label="To (app address)" value={to} set={setTo} placeholder="default" />
        <Choice label="Type" value={type} set={setType} options={['available', 'unavailable', 'probe']} />
        <Choice label="Show" value={show} set={setShow} options={SHOWS} />
        <Field label="Status" value={status} set={setStatus} />
        <button type="submit" disabled={busy}>
          Send presence
        </button>
      </div>
      <Result outcome={outcome} />
    </form>
  );
}

function InjectSubscription(): JSX.Element {
  const [from, setFrom] = useState('carol@example.com');
  const [to, setTo] = useState('');
  const [type, setType] = useState('subscribe');
  const [outcome, run, busy] = useAction();
  return (
    <form
      class="card"
      aria-label="Inject a subscription"
      onSubmit={(e) => {
        e.preventDefault();
        void run(async () => describeDelivery(await call<DeliveryResult>('POST', '/v1/inbound/subscription', compact({ from, to, type }))));
      }}
    >
      <h3>Subscription</h3>
      <div class="row">
        <Field label="From" value={from} set={setFrom} />
        <Field label="To (app address)" value={to} set={setTo} placeholder="default" />
        <Choice label="Type" value={type} set={setType} options={['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed']} />
        <button type="submit" disabled={busy}>
          Send subscription
        </button>
      </div>
      <Result outcome={outcome} />
    </form>
  );
}

function InjectError(): JSX.Element {
  const [from, setFrom] = useState('alice@example.com/phone');
  const [to, setTo] = useState('');
  const [stanza, setStanza] = useState('');
  const [outcome, run, busy] = useAction();
  return (
    <form
      class="card"
      aria-label="Inject an error stanza"
      onSubmit={(e) => {
        e.preventDefault();
        void run(async () => describeDelivery(await call<DeliveryResult>('POST', '/v1/inbound/error', compact({ from, to, stanza }))));
      }}
    >
      <h3>Error stanza</h3>
      <div class="row">
        <Field label="From" value={from} set={setFrom} />
        <Field label="To (app address)" value={to} set={setTo} placeholder="default" />
        <label class="grow">
          Stanza (optional XML)
          <textarea
            rows={2}
            value={stanza}
            onInput={(e) => setStanza(e.currentTarget.value)}
            spellcheck={false}
            placeholder='<message type="error">…</message>'
          />
        </label>
        <button type="submit" disabled={busy}>
          Send error
        </button>
      </div>
      <Result outcome={outcome} />
    </form>
  );
}
