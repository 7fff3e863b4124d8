// `start` says when the app URL does not answer yet, and again once it does: a newcomer's first wrong port shows at
// once instead of as a failed delivery later.
import http from 'node:http';
import https from 'node:https';

/** How often a silent app is asked again; each try is one small GET. */
const RETRY_MS = 500;
const TRY_TIMEOUT_MS = 2000;

/** Resolves with null when something answers HTTP at `url` (any status), else with why not. */
export function probe(url: string): Promise<string | null> {
  return new Promise((resolve) => {
    const lib = url.startsWith('https:') ? https : http;
    // HEAD: any answer, even 404 or 405, means something listens there.
    const req = lib.request(url, { method: 'HEAD', timeout: TRY_TIMEOUT_MS }, (res) => {
      res.resume();
      resolve(null);
    });
    req.end();
    req.once('timeout', () => req.destroy(new Error(`no answer within ${TRY_TIMEOUT_MS} ms`)));
    req.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED' ? 'connection refused' : (e.code ?? e.message)));
  });
}

/**
 * Say (through `say`) that the app does not answer yet, then keep asking until it does and say that too. Says
 * nothing when it answers at once. Returns a function that stops asking.
 */
export function watchApp(url: string, say: (line: string, answers: boolean) => void): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const attempt = async (first: boolean): Promise<void> => {
    const why = await probe(url);
    if (stopped) return;
    if (why === null) {
      if (!first) say(`app ${url} answers now`, true);
      return;
    }
    if (first) say(`app ${url} does not answer yet (${why}); deliveries to it fail until it does; you will see when it answers`, false);
    timer = setTimeout(() => run(false), RETRY_MS);
    // Asking must not keep a stopping emulator alive.
    timer.unref();
  };
  // A URL the request cannot even be built for is said once, not left as an unhandled rejection.
  const run = (first: boolean): void => {
    attempt(first).catch((e: Error) => say(`app ${url} cannot be asked: ${e.message}`, false));
  };
  run(true);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
