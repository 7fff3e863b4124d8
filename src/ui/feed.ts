// The live feed: one WebSocket to /v1/events, reopened by itself with ?since= the last seq applied, so the page
// misses nothing and doubles nothing across a reconnect.
import type { Store } from './store.js';
import type { AnyEvent, Hello } from './wire.js';

const MAX_DELAY_MS = 5_000;

export function connectFeed(store: Store): () => void {
  let ws: WebSocket | null = null;
  let attempt = 0;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const open = (): void => {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/v1/events?since=${store.lastSeq}`;
    store.setStatus('connecting');
    const socket = new WebSocket(url);
    ws = socket;
    socket.onmessage = (m) => {
      const ev = JSON.parse(String(m.data)) as AnyEvent | Hello;
      if (ev.type === 'hello') {
        attempt = 0;
        store.setStatus('live');
        // The emulator restarted: its history starts over, so ask for it from the beginning.
        if (store.hello(ev as Hello)) socket.close();
        return;
      }
      if (ev.type === 'replay') for (const e of (ev as unknown as { events: AnyEvent[] }).events) store.apply(e);
      else store.apply(ev as AnyEvent);
    };
    socket.onclose = () => {
      if (ws !== socket) return;
      ws = null;
      if (stopped) return;
      store.setStatus('offline');
      const delay = Math.min(MAX_DELAY_MS, 200 * 2 ** attempt++);
      timer = setTimeout(open, delay);
    };
  };
  open();
  return () => {
    stopped = true;
    clearTimeout(timer);
    ws?.close();
  };
}
