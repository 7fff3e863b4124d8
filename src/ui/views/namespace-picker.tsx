// Which namespace (tenant) the console shows and drives: conversations, presence, inspector, outbox, faults and
// counters are that namespace's, and every control call goes to /ns/NAME/v1/... The feed carries every namespace,
// so a switch shows at once what already happened there, and a reconnect keeps each consistent.
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { call, setNamespace } from '../api.js';
import { describeError } from './result.js';
import { DEFAULT_NAMESPACE, type Store } from '../store.js';

const KEY = 'xmpp-emu-namespace';

/** The namespace the page starts in: ?ns=NAME in its address, else the one picked last, else the default. */
export function startNamespace(store: Store): void {
  store.namespace = new URLSearchParams(location.search).get('ns') || localStorage.getItem(KEY) || DEFAULT_NAMESPACE;
  setNamespace(store.namespace);
}

export function NamespacePicker({ store }: { store: Store }): JSX.Element {
  const [draft, setDraft] = useState(store.namespace);
  const [listed, setListed] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const list = (): void =>
    void call<{ namespaces: Array<{ name: string }> }>('GET', '/v1/namespaces').then(
      (r) => setListed(r.namespaces.map((n) => n.name)),
      () => undefined,
    );
  useEffect(list, [store.status === 'live']);
  const names = [...new Set([...store.namespaces(), ...listed])];

  const open = async (name: string): Promise<void> => {
    const previous = store.namespace;
    setNamespace(name);
    try {
      // Created on first use; the emulator checks the name (one place for the rule) and says what is wrong.
      await call('GET', '/v1/clock');
    } catch (e) {
      setNamespace(previous);
      setError(describeError(e).text);
      return;
    }
    setError(null);
    localStorage.setItem(KEY, name);
    store.choose(name);
    list();
  };

  return (
    <form
      class="ns"
      onSubmit={(e) => {
        e.preventDefault();
        void open(draft.trim() || DEFAULT_NAMESPACE);
      }}
    >
      <label>
        Namespace
        <input
          value={draft}
          list="ns-names"
          size={10}
          spellcheck={false}
          onInput={(e) => setDraft(e.currentTarget.value)}
          onFocus={list}
          aria-describedby={error ? 'ns-error' : undefined}
        />
      </label>
      <datalist id="ns-names">
        {names.map((n) => (
          <option key={n} value={n} />
        ))}
      </datalist>
      <button type="submit" class="small" disabled={draft.trim() === store.namespace}>
        Open
      </button>
      {error ? (
        <span id="ns-error" class="ns-error" role="alert">
          {error}
        </span>
      ) : null}
    </form>
  );
}
