// Runs the real CLI (bin/xmpp-emu.js), or any command, as a child process and waits on its output, never on sleeps.
import { spawn, type ChildProcessWithoutNullStreams, type SpawnOptionsWithoutStdio } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/xmpp-emu.js', import.meta.url));

export interface Cli {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** resolves with the output once it matches */
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr', timeoutMs?: number): Promise<string>;
  exited: Promise<number | null>;
}

const running = new Set<ChildProcessWithoutNullStreams>();

/** Kill every CLI still running (call from after()), so a failed test cannot leave the test file hanging. */
export function killAll(): void {
  for (const c of running) c.kill('SIGKILL');
  // A detached child leads its own process group: take its children (a shell's commands) with it.
  for (const pid of groups) killGroup(pid, 'SIGKILL');
}

const groups = new Set<number>();

export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

export function runCli(args: string[], env: Record<string, string | undefined> = {}, cwd?: string): Cli {
  return runProcess(process.execPath, [BIN, ...args], { env: { ...process.env, FORCE_COLOR: '0', ...env }, cwd });
}

/** Any command, watched like the CLI. With `detached`, killAll() ends its whole process group. */
export function runProcess(command: string, args: string[], options: SpawnOptionsWithoutStdio): Cli {
  const child = spawn(command, args, options);
  const pid = options.detached ? child.pid : undefined;
  if (pid !== undefined) groups.add(pid);
  running.add(child);
  child.once('exit', () => {
    running.delete(child);
    // Whatever the leader left running in its group goes with it, while the group id is still surely ours.
    if (pid !== undefined) {
      killGroup(pid, 'SIGKILL');
      groups.delete(pid);
    }
  });
  const out = { stdout: '', stderr: '' };
  const listeners = new Set<() => void>();
  child.stdout.on('data', (d) => {
    out.stdout += d;
    listeners.forEach((l) => l());
  });
  child.stderr.on('data', (d) => {
    out.stderr += d;
    listeners.forEach((l) => l());
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      listeners.forEach((l) => l());
      resolve(code);
    }),
  );
  return {
    child,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    exited,
    waitFor(pattern, stream = 'stdout', timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (pattern.test(out[stream])) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(out[stream]);
          } else if (child.exitCode !== null) {
            listeners.delete(check);
            clearTimeout(timer);
            reject(new Error(`the CLI exited (${child.exitCode}) before ${stream} matched ${pattern}\nstdout: ${out.stdout}\nstderr: ${out.stderr}`));
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`${stream} did not match ${pattern} within ${timeoutMs} ms\nstdout: ${out.stdout}\nstderr: ${out.stderr}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
  };
}

/** Run to completion: exit code and output. */
export async function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const c = runCli(args, env);
  c.child.stdin.end();
  const code = await c.exited;
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}
