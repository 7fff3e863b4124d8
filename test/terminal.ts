// A real terminal for tests: tmux (on its own socket) runs a command in a pane; we type into it and read the screen.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Terminal {
  /** type text as a person would (literally), then Enter unless told otherwise */
  type(text: string, enter?: boolean): Promise<void>;
  /** send named keys: 'C-c', 'C-d', 'Tab', 'Enter' */
  keys(...names: string[]): Promise<void>;
  /** the pane's visible text and its scrollback */
  screen(): Promise<string>;
  /** resolves with the screen once it matches; rejects after timeoutMs with what the screen showed */
  waitFor(pattern: RegExp | ((screen: string) => boolean), timeoutMs?: number): Promise<string>;
  /** whether the command in the pane has ended */
  ended(): Promise<boolean>;
  close(): Promise<void>;
}

let count = 0;

export async function openTerminal(command: string[], opts: { env?: Record<string, string>; cwd?: string; width?: number } = {}): Promise<Terminal> {
  const socket = `xmpp-emu-test-${process.pid}-${++count}`;
  const tmux = (...args: string[]): Promise<{ stdout: string }> => run('tmux', ['-L', socket, ...args], { env: { ...process.env, ...opts.env } });
  const quoted = command.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  // remain-on-exit keeps the pane (and what the command printed last) after it ends.
  await tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'main', '-x', String(opts.width ?? 200), '-y', '50', ...(opts.cwd ? ['-c', opts.cwd] : []), quoted);
  await tmux('set-option', '-t', 'main', 'remain-on-exit', 'on');
  const screen = async (): Promise<string> => (await tmux('capture-pane', '-p', '-J', '-S', '-2000', '-t', 'main')).stdout;
  const t: Terminal = {
    type: async (text, enter = true) => {
      await tmux('send-keys', '-t', 'main', '-l', text);
      if (enter) await tmux('send-keys', '-t', 'main', 'Enter');
    },
    keys: async (...names) => {
      await tmux('send-keys', '-t', 'main', ...names);
    },
    screen,
    async waitFor(pattern, timeoutMs = 10_000) {
      const ok = typeof pattern === 'function' ? pattern : (s: string) => pattern.test(s);
      const deadline = Date.now() + timeoutMs;
      // tmux has no "screen changed" event to await: read the screen again, a little later each time.
      for (let delay = 10; ; delay = Math.min(delay * 2, 200)) {
        const s = await screen();
        if (ok(s)) return s;
        if (Date.now() > deadline) throw new Error(`the terminal did not show ${pattern} within ${timeoutMs} ms; it shows:\n${s}`);
        await new Promise((r) => setTimeout(r, delay));
      }
    },
    ended: async () => (await tmux('display-message', '-p', '-t', 'main', '#{pane_dead}')).stdout.trim() === '1',
    close: async () => {
      await tmux('kill-server').catch(() => undefined);
    },
  };
  return t;
}
