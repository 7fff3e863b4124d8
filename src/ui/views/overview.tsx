// The configuration at a glance, and the counters: quotas, outbox, memory.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { useFetch, useStore, useThrottled } from '../hooks.js';
import type { Store } from '../store.js';
import type { Info } from '../wire.js';

interface Stats {
  quotas: { total: Record<string, number>; today: Record<string, number | string>; limits: Record<string, number | null> };
  outbox: { size: number; cap: number; dropped: number; total: number };
  memory: { rss_bytes: number; heap_used_bytes: number };
}

/** GET /v1/app: does anything answer at the app's URL? */
interface Probe {
  url: string;
  answers: boolean;
  status: number | null;
  reason?: string;
  duration_ms: number;
}

function Answer({ probe }: { probe: Probe | null }): JSX.Element {
  if (!probe) return <span class="probe">checking…</span>;
  return probe.answers ? (
    <span class="probe ok">
      answers (HTTP {probe.status} in {probe.duration_ms} ms)
    </span>
  ) : (
    <span class="probe bad">does not answer: {probe.reason}</span>
  );
}

const mb = (n: number): string => `${(n / 1048576).toFixed(1)} MB`;

export function Overview({ store, info }: { store: Store; info: Info | null }): JSX.Element {
  useStore(store);
  const tick = useThrottled(store.lastSeq, 500);
  const { data: stats, error } = useFetch<Stats>('/v1/stats', tick);
  const [probeKey, reprobe] = useState(0);
  const { data: probes } = useFetch<{ apps: Probe[] }>('/v1/app', probeKey);
  const answer = (url: string): JSX.Element => <Answer probe={probes?.apps.find((p) => p.url === url) ?? null} />;
  return (
    <div class="overview">
      <section aria-labelledby="config-h" class="card">
        <h2 id="config-h">Configuration</h2>
        {info ? (
          <dl class="facts">
            <dt>App id</dt>
            <dd>{info.app_id}</dd>
            <dt>App URL (default version)</dt>
            <dd>
              <code>{info.app_url}</code> {answer(info.app_url)}{' '}
              <button type="button" class="small" onClick={() => reprobe((n) => n + 1)}>
                Check again
              </button>
            </dd>
            {Object.entries(info.versions).map(([name, url]) => [
              <dt key={`v${name}`}>Version {name}</dt>,
              <dd key={`u${name}`}>
                <code>{url}</code> {answer(url)}
              </dd>,
            ])}
            <dt>Addresses</dt>
            <dd>
              {info.addresses.map((a) => (
                <code key={a} class="chip">
                  {a}
                </code>
              ))}
            </dd>
            <dt>Inbound services</dt>
            <dd>
              {info.inbound_services === null ? 'all enabled (no app.yaml)' : info.inbound_services.length ? info.inbound_services.join(', ') : 'none'}
              {info.app_yaml ? ` (from ${info.app_yaml})` : ''}
            </dd>
            <dt>Presence</dt>
            <dd>
              {String(info.default_presence ?? 'available')} by default;{' '}
              {info.strict_presence ? 'strict: only subscribed JIDs are reported' : 'every JID is reported'}
              {info.presence_file ? `; file ${info.presence_file}` : ''}
            </dd>
            <dt>Namespace</dt>
            <dd>
              <code>{store.namespace}</code> (pick another at the top; counters, outbox, presence and faults below are its own)
            </dd>
            <dt>Feed</dt>
            <dd>
              {store.status} · {store.lastSeq} events
            </dd>
          </dl>
        ) : (
          <p>Loading…</p>
        )}
      </section>
      <section aria-labelledby="stats-h" class="card">
        <h2 id="stats-h">Counters and quotas</h2>
        {error ? (
          <p class="result bad" role="alert">
            {error}
          </p>
        ) : null}
        {stats ? (
          <>
            <table class="grid">
              <thead>
                <tr>
                  <th scope="col">Quota</th>
                  <th scope="col">Today</th>
                  <th scope="col">Daily limit</th>
                  <th scope="col">Since start</th>
                </tr>
              </thead>
              <tbody>
                {Object.keys(stats.quotas.total).map((k) => {
                  const limit = stats.quotas.limits[k];
                  return (
                    <tr key={k}>
                      <th scope="row">{k.replace(/_/g, ' ')}</th>
                      <td>{String(stats.quotas.today[k] ?? 0)}</td>
                      <td>{limit === undefined ? '' : limit === null ? 'unlimited' : limit.toLocaleString()}</td>
                      <td>{(stats.quotas.total[k] ?? 0).toLocaleString()}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            <dl class="facts">
              <dt>Outbox</dt>
              <dd>
                {stats.outbox.size} kept of {stats.outbox.cap} · {stats.outbox.total} in all · {stats.outbox.dropped} dropped
              </dd>
              <dt>Memory</dt>
              <dd>
                {mb(stats.memory.rss_bytes)} resident · {mb(stats.memory.heap_used_bytes)} heap
              </dd>
            </dl>
          </>
        ) : null}
      </section>
    </div>
  );
}
