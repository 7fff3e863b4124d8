// The console's shell: a header with the feed's state, tabs (the URL's hash names the view), the view.
// Preact: the React model in about 4 KB, so the whole console loads and paints within a few frames.
import { render, type JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { call } from './api.js';
import { connectFeed } from './feed.js';
import { useStore, useThrottled } from './hooks.js';
import { Store } from './store.js';
import { Conversations } from './views/conversations.js';
import { Faults } from './views/faults.js';
import { NamespacePicker, startNamespace } from './views/namespace-picker.js';
import { Inspector } from './views/inspector.js';
import { Outbox } from './views/outbox.js';
import { Overview } from './views/overview.js';
import { Presence } from './views/presence.js';
import type { Info } from './wire.js';

const VIEWS = [
  ['conversations', 'Conversations'],
  ['presence', 'Presence'],
  ['inspector', 'Inspector'],
  ['outbox', 'Outbox'],
  ['faults', 'Faults'],
  ['overview', 'Overview'],
] as const;
type View = (typeof VIEWS)[number][0];

function route(): { view: View; seq: number | null } {
  const [, view, seq] = location.hash.split('/');
  const known = VIEWS.find(([v]) => v === view);
  return { view: known ? known[0] : 'conversations', seq: seq && /^\d+$/.test(seq) ? Number(seq) : null };
}

const THEMES = ['auto', 'light', 'dark'] as const;

function applyTheme(t: string): void {
  if (t === 'auto') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = t;
}

function App({ store }: { store: Store }): JSX.Element {
  useStore(store);
  const [where, setWhere] = useState(route);
  const [theme, setTheme] = useState(() => localStorage.getItem('xmpp-emu-theme') ?? 'auto');
  const [info, setInfo] = useState<Info | null>(null);
  const configSeq = useThrottled(store.events.findLast((e) => e.type === 'config')?.seq ?? 0, 200);
  useEffect(() => {
    const on = (): void => setWhere(route());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  useEffect(() => {
    void call<Info>('GET', '/v1/info').then(setInfo, () => undefined);
  }, [configSeq, store.status === 'live']);
  useEffect(() => {
    applyTheme(theme);
    localStorage.setItem('xmpp-emu-theme', theme);
  }, [theme]);
  useEffect(() => {
    // After a tab change, keyboard and screen-reader users start at the new view.
    if (document.activeElement?.classList.contains('tab')) document.getElementById('main')?.focus({ preventScroll: true });
  }, [where.view]);
  const unread = store.here.unread();
  const rejected = store.here.rejected;

  return (
    <>
      <a class="skip" href="#main">
        Skip to the view
      </a>
      <header class="top">
        <h1>
          xmpp-emu <span class="app-id">{info ? info.app_id : ''}</span>
        </h1>
        <nav aria-label="Views">
          {VIEWS.map(([v, label]) => (
            <a key={v} href={`#/${v}`} class="tab" aria-current={where.view === v ? 'page' : undefined}>
              {label}
              {v === 'conversations' && unread ? (
                <span class="badge" aria-label={`, ${unread} unread`}>
                  {unread}
                </span>
              ) : null}
              {v === 'inspector' && rejected ? (
                <span class="badge bad" aria-label={`, ${rejected} refused calls`}>
                  {rejected}
                </span>
              ) : null}
            </a>
          ))}
        </nav>
        <NamespacePicker store={store} />
        <span class={`feed ${store.status}`} role="status" aria-live="polite">
          {store.status === 'live' ? 'live' : store.status === 'connecting' ? 'connecting…' : 'offline, reconnecting…'}
        </span>
        <label class="theme">
          Theme
          <select value={theme} onChange={(e) => setTheme(e.currentTarget.value)}>
            {THEMES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
      </header>
      {store.notice ? (
        <p class="notice" role="alert">
          {store.notice}
        </p>
      ) : null}
      <main id="main" tabIndex={-1}>
        {where.view === 'conversations' ? <Conversations store={store} info={info} /> : null}
        {where.view === 'presence' ? <Presence store={store} /> : null}
        {where.view === 'inspector' ? <Inspector store={store} selected={where.seq} /> : null}
        {where.view === 'outbox' ? <Outbox store={store} /> : null}
        {where.view === 'faults' ? <Faults store={store} /> : null}
        {where.view === 'overview' ? <Overview store={store} info={info} /> : null}
      </main>
    </>
  );
}

applyTheme(localStorage.getItem('xmpp-emu-theme') ?? 'auto');
const store = new Store();
startNamespace(store);
connectFeed(store);
// The page's own shell paints first; the app renders in the next frame (so the first paint never waits for it).
requestAnimationFrame(() =>
  setTimeout(() => {
    const root = document.getElementById('root')!;
    root.textContent = '';
    render(<App store={store} />, root);
    // For npm run bench:console: when the app itself (not only the shell) was first on screen.
    requestAnimationFrame(() => performance.mark('console-rendered'));
  }),
);
