// Fault rules of the namespace on screen: list them (with how often each fired), add one, remove one or all
// (the control API's /v1/faults), and the fault events as they fire. The emulator checks every rule.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { call, compact, inNamespace } from '../api.js';
import { clock, useFetch, useStore } from '../hooks.js';
import type { Store } from '../store.js';
import type { AnyEvent, DeliveryFault, FaultCall, FaultRule, FaultStatus } from '../wire.js';
import { Result, useAction } from './result.js';

// Each list is keyed by the server's own type, so the compiler names any value added to or missing from it.
const CALLS = Object.keys({ send_message: 1, send_invite: 1, get_presence: 1, send_presence: 1, delivery: 1 } satisfies Record<FaultCall, 1>);
const DELIVERY = Object.keys({ drop: 1, delay: 1, duplicate: 1, reorder: 1, timeout: 1 } satisfies Record<DeliveryFault, 1>);
const STATUSES = Object.keys({ OTHER_ERROR: 1, INVALID_JID: 1 } satisfies Record<FaultStatus, 1>);
/** Suggestions only: the emulator names the codes it takes when given another. */
const ERRORS = ['OVER_QUOTA', 'UNSPECIFIED_ERROR', 'INVALID_JID', 'NO_BODY', 'INVALID_XML', 'INVALID_TYPE', 'EXCEEDED_MAX_SIZE'];

type Effect = 'error' | 'status' | 'delivery' | 'latency_ms';

interface Draft {
  call: string;
  effect: Effect;
  error: string;
  status: string;
  delivery: string;
  delay_ms: string;
  latency_ms: string;
  jid: string;
  body: string;
  times: string;
  probability: string;
  for_ms: string;
  name: string;
}

const EMPTY: Draft = {
  call: 'send_message',
  effect: 'error',
  error: 'OVER_QUOTA',
  status: 'OTHER_ERROR',
  delivery: 'drop',
  delay_ms: '',
  latency_ms: '500',
  jid: '',
  body: '',
  times: '',
  probability: '',
  for_ms: '',
  name: '',
};

const num = (s: string): number | undefined => (s.trim() === '' ? undefined : Number(s));

/** The rule the form describes, as POST /v1/faults takes it. */
export function ruleOf(d: Draft): Record<string, unknown> {
  const effect =
    d.effect === 'error'
      ? { error: d.error }
      : d.effect === 'status'
        ? { status: d.status }
        : d.effect === 'delivery'
          ? { delivery: d.delivery, delay_ms: num(d.delay_ms) }
          : { latency_ms: num(d.latency_ms) };
  return compact({
    call: d.call,
    ...effect,
    jid: d.jid.trim(),
    body: d.body,
    times: num(d.times),
    probability: num(d.probability),
    for_ms: num(d.for_ms),
    name: d.name.trim(),
  });
}

const EFFECT_KEYS = ['error', 'status', 'delivery', 'delay_ms', 'latency_ms'] as const;
const SCOPE_KEYS = ['jid', 'body', 'times', 'probability', 'from', 'until'] as const;

function fields(r: FaultRule, keys: readonly string[]): string {
  const o = r as unknown as Record<string, unknown>;
  return keys
    .filter((k) => o[k] !== undefined)
    .map((k) => `${k} ${String(o[k])}`)
    .join(', ');
}

export function Faults({ store }: { store: Store }): JSX.Element {
  useStore(store);
  const fired = store.here.events.filter((e) => e.type === 'fault');
  const [changes, bump] = useState(0);
  // Refetched when a rule fires (its count changes), when the namespace is reset, and after each change made here.
  const key = `${fired.at(-1)?.seq ?? 0}:${store.here.events.findLast((e) => e.type === 'reset')?.seq ?? 0}:${changes}`;
  const { data, error } = useFetch<{ faults: FaultRule[] }>('/v1/faults', key);
  const [outcome, run] = useAction();
  const act = (f: () => Promise<string>): void =>
    void run(async () => {
      const text = await f();
      bump((n) => n + 1);
      return { ok: true, text };
    });
  const rules = data?.faults ?? [];

  return (
    <div class="faults">
      <section aria-labelledby="faults-h">
        <h2 id="faults-h">
          Fault rules <span class="count">{rules.length}</span>
        </h2>
        <p class="hint">
          Rules of namespace <code>{store.namespace}</code>: which calls fail and how. Every rule that fires is a <code>fault</code> event (below and in the
          inspector).
        </p>
        {error ? (
          <p class="result bad" role="alert">
            {error}
          </p>
        ) : null}
        {rules.length ? (
          <table class="grid" aria-label="Fault rules">
            <thead>
              <tr>
                <th scope="col">Rule</th>
                <th scope="col">Calls</th>
                <th scope="col">Effect</th>
                <th scope="col">Matches</th>
                <th scope="col">Fired</th>
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rules.map((r) => (
                <tr key={r.id}>
                  <th scope="row">
                    {r.id}
                    {r.name ? <span class="rule-name"> {r.name}</span> : null}
                  </th>
                  <td>{r.call.join(', ')}</td>
                  <td>{fields(r, EFFECT_KEYS)}</td>
                  <td>{fields(r, SCOPE_KEYS) || 'every call'}</td>
                  <td>{r.fired}</td>
                  <td>
                    <button
                      type="button"
                      class="small"
                      aria-label={`Remove fault ${r.id}`}
                      onClick={() =>
                        act(async () => {
                          await call('DELETE', `/v1/faults/${encodeURIComponent(r.id)}`);
                          return `Removed ${r.id}`;
                        })
                      }
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p class="empty">No fault rules: every call and delivery behaves.</p>
        )}
        <div class="row actions">
          <button
            type="button"
            class="danger"
            disabled={!rules.length}
            onClick={() =>
              act(async () => {
                const r = await call<{ cleared: number }>('DELETE', '/v1/faults');
                return `Removed ${r.cleared} rules`;
              })
            }
          >
            Remove all rules
          </button>
        </div>
        <Result outcome={outcome} />
        <AddFault
          onAdd={(rule) => act(async () => `Added ${(await call<{ faults: FaultRule[] }>('POST', '/v1/faults', rule)).faults.map((f) => f.id).join(', ')}`)}
        />
      </section>
      <section aria-labelledby="fired-h" class="fired">
        <h2 id="fired-h">
          Fired <span class="count">{fired.length}</span>
        </h2>
        {fired.length ? (
          <ol class="fired-list" aria-label="Faults fired, newest first">
            {fired
              .slice(-200)
              .reverse()
              .map((e) => (
                <FiredRow key={e.seq} e={e} />
              ))}
          </ol>
        ) : (
          <p class="empty">No fault has fired yet.</p>
        )}
      </section>
    </div>
  );
}

function FiredRow({ e }: { e: AnyEvent }): JSX.Element {
  return (
    <li>
      <a href={`#/inspector/${e.seq}`}>
        <time dateTime={e.time}>{clock(e.time)}</time> <strong>{String(e.rule)}</strong>
        {e.name ? ` (${String(e.name)})` : ''}: {String(e.call)} → {String(e.effect)}
        {Array.isArray(e.jids) && e.jids.length ? ` · ${e.jids.join(', ')}` : ''}
      </a>
    </li>
  );
}

function AddFault({ onAdd }: { onAdd: (rule: Record<string, unknown>) => void }): JSX.Element {
  const [d, setD] = useState<Draft>(EMPTY);
  const set = (k: keyof Draft) => (e: Event) => setD({ ...d, [k]: (e.currentTarget as HTMLInputElement).value });
  const rule = ruleOf(d);
  return (
    <form
      class="add-fault"
      aria-labelledby="add-fault-h"
      onSubmit={(e) => {
        e.preventDefault();
        onAdd(rule);
      }}
    >
      <h3 id="add-fault-h">Add a rule</h3>
      <div class="row">
        <Pick label="Call" value={d.call} options={CALLS} onChange={set('call')} />
        <label>
          Effect
          <select value={d.effect} onChange={set('effect')}>
            <option value="error">fails with an error</option>
            <option value="status">send_message: a status per recipient</option>
            <option value="delivery">delivery: drop, delay, …</option>
            <option value="latency_ms">answers late</option>
          </select>
        </label>
        {d.effect === 'error' ? (
          <label>
            Error code
            <input value={d.error} onInput={set('error')} list="fault-errors" spellcheck={false} />
            <datalist id="fault-errors">
              {ERRORS.map((c) => (
                <option key={c} value={c} />
              ))}
            </datalist>
          </label>
        ) : null}
        {d.effect === 'status' ? <Pick label="Status" value={d.status} options={STATUSES} onChange={set('status')} /> : null}
        {d.effect === 'delivery' ? (
          <>
            <Pick label="Delivery" value={d.delivery} options={DELIVERY} onChange={set('delivery')} />
            <label>
              Delay (ms)
              <input value={d.delay_ms} onInput={set('delay_ms')} inputMode="numeric" size={6} />
            </label>
          </>
        ) : null}
        {d.effect === 'latency_ms' ? (
          <label>
            Latency (ms)
            <input value={d.latency_ms} onInput={set('latency_ms')} inputMode="numeric" size={6} />
          </label>
        ) : null}
      </div>
      <div class="row">
        <label>
          JID pattern
          <input value={d.jid} onInput={set('jid')} placeholder="*@example.com" spellcheck={false} />
        </label>
        <label>
          Body (regex)
          <input value={d.body} onInput={set('body')} spellcheck={false} />
        </label>
        <label>
          Times
          <input value={d.times} onInput={set('times')} inputMode="numeric" size={4} placeholder="every" />
        </label>
        <label>
          Probability
          <input value={d.probability} onInput={set('probability')} inputMode="decimal" size={4} placeholder="1" />
        </label>
        <label>
          For (ms)
          <input value={d.for_ms} onInput={set('for_ms')} inputMode="numeric" size={7} placeholder="ever" />
        </label>
        <label>
          Name
          <input value={d.name} onInput={set('name')} placeholder="flaky network" />
        </label>
      </div>
      <p class="code-line">
        <code>
          POST {inNamespace('/v1/faults')} {JSON.stringify(rule)}
        </code>
      </p>
      <button type="submit">Add the rule</button>
    </form>
  );
}

/** A labelled choice among the server's own words. */
function Pick({ label, value, options, onChange }: { label: string; value: string; options: string[]; onChange: (e: Event) => void }): JSX.Element {
  return (
    <label>
      {label}
      <select value={value} onChange={onChange}>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
}
