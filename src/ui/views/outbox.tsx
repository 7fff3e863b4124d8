// The outbox: what the app sent, with the control API's own filters (applied by the emulator, one place per rule),
// a download of the transcript, and clear.
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { call } from '../api.js';
import { clock, useStore, useThrottled } from '../hooks.js';
import type { Store } from '../store.js';
import { VirtualList } from '../virtual-list.js';
import type { OutboxEntry } from '../wire.js';
import { Result, useAction } from './result.js';

interface Filter {
  to: string;
  from: string;
  kind: string;
  contains: string;
  matches: string;
}
const NONE: Filter = { to: '', from: '', kind: '', contains: '', matches: '' };

export function Outbox({ store }: { store: Store }): JSX.Element {
  useStore(store);
  const [draft, setDraft] = useState<Filter>(NONE);
  const [filter, setFilter] = useState<Filter>(NONE);
  const [found, setFound] = useState<OutboxEntry[] | null>(null);
  const [outcome, run, , clearOutcome] = useAction();
  const filtered = Object.values(filter).some((v) => v !== '');
  const sentCount = useThrottled(store.lastSeq, 200);
  useEffect(() => {
    if (!filtered) {
      setFound(null);
      clearOutcome();
      return;
    }
    const q = new URLSearchParams(Object.entries(filter).filter(([, v]) => v !== ''));
    void run(async () => {
      const r = await call<{ entries: OutboxEntry[] }>('GET', `/v1/outbox?${q.toString()}`);
      setFound(r.entries);
      return { ok: true, text: `${r.entries.length} matching entries` };
    });
  }, [filter, store.namespace, filtered ? sentCount : 0]);
  const entries = filtered ? (found ?? []) : store.here.outbox;
  const set = (k: keyof Filter) => (e: Event) => setDraft({ ...draft, [k]: (e.currentTarget as HTMLInputElement).value });

  const download = (name: string, text: string, type: string): void => {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([text], { type }));
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  };

  return (
    <div class="outbox">
      <section aria-labelledby="outbox-h">
        <h2 id="outbox-h">
          Outbox <span class="count">{entries.length}</span>
        </h2>
        <form
          class="row filters"
          aria-label="Filter the outbox"
          onSubmit={(e) => {
            e.preventDefault();
            setFilter(draft);
          }}
        >
          <label>
            To
            <input value={draft.to} onInput={set('to')} placeholder="alice@example.com" spellcheck={false} />
          </label>
          <label>
            From
            <input value={draft.from} onInput={set('from')} spellcheck={false} />
          </label>
          <label>
            Kind
            <select value={draft.kind} onChange={set('kind')}>
              <option value="">any</option>
              <option value="message">message</option>
              <option value="invite">invite</option>
              <option value="presence">presence</option>
            </select>
          </label>
          <label>
            Contains
            <input value={draft.contains} onInput={set('contains')} />
          </label>
          <label>
            Matches (regex)
            <input value={draft.matches} onInput={set('matches')} spellcheck={false} />
          </label>
          <button type="submit">Filter</button>
          <button
            type="button"
            onClick={() => {
              setDraft(NONE);
              setFilter(NONE);
            }}
            disabled={!filtered}
          >
            Show all
          </button>
        </form>
        <div class="row actions">
          <button type="button" onClick={() => download('xmpp-emu-transcript.jsonl', store.here.transcript(), 'application/x-ndjson')}>
            Download transcript (JSON lines)
          </button>
          <button type="button" onClick={() => download('xmpp-emu-outbox.json', JSON.stringify(entries, null, 2), 'application/json')}>
            Download these entries (JSON)
          </button>
          <button
            type="button"
            class="danger"
            onClick={() =>
              void run(async () => {
                const r = await call<{ cleared: number }>('DELETE', '/v1/outbox');
                return { ok: true, text: `Cleared ${r.cleared} entries` };
              })
            }
          >
            Clear the outbox
          </button>
        </div>
        <Result outcome={outcome} />
        <div class="outbox-head" aria-hidden="true">
          <span>id</span>
          <span>time</span>
          <span>kind</span>
          <span>from → to</span>
          <span>body</span>
        </div>
        <VirtualList
          count={entries.length}
          estimate={30}
          keyOf={(i) => entries[i]!.id}
          label="Outbox entries, oldest first"
          class="outbox-list"
          row={(i) => <OutboxRow e={entries[i]!} seq={store.here.seqOfEntry.get(entries[i]!.id)} />}
        />
      </section>
    </div>
  );
}

function OutboxRow({ e, seq }: { e: OutboxEntry; seq: number | undefined }): JSX.Element {
  const bad = e.statuses?.some((s) => s !== 0);
  return (
    <div class={`outbox-row ${bad ? 'bad' : ''}`} tabIndex={0}>
      {seq === undefined ? (
        <span class="seq">#{e.id}</span>
      ) : (
        <a class="seq" href={`#/inspector/${seq}`} aria-label={`entry ${e.id}: inspect`}>
          #{e.id}
        </a>
      )}
      <time dateTime={e.time}>{clock(e.time)}</time>
      <span class={`kind k-${e.kind}`}>{e.kind}</span>
      <span class="addr">
        {e.from} → {e.to.join(', ')}
      </span>
      <span class="sum">{e.kind === 'message' ? e.body : e.kind === 'presence' ? [e.type, e.show, e.status].filter(Boolean).join(' · ') : ''}</span>
    </div>
  );
}
