// Does the app answer? One GET to its URL; any HTTP status counts (an app need not serve "/"). For the console's
// overview, so a developer sees at a glance that the app is down before injecting into it.
import http from 'node:http';
import https from 'node:https';
import { unreachable } from './deliver.js';

export interface ProbeResult {
  url: string;
  answers: boolean;
  /** the HTTP status it answered with, or null */
  status: number | null;
  reason?: string;
  duration_ms: number;
}

export const PROBE_TIMEOUT_MS = 2_000;

export function probeApp(url: string, agents: { http: http.Agent; https: https.Agent }, timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeResult> {
  const started = performance.now();
  const took = (): number => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return resolve({ url, answers: false, status: null, reason: `"${url}" is not a valid URL`, duration_ms: 0 });
    }
    const https_ = target.protocol === 'https:';
    const req = (https_ ? https : http).request(target, { method: 'GET', agent: https_ ? agents.https : agents.http });
    const timer = setTimeout(() => {
      resolve({ url, answers: false, status: null, reason: `no answer within ${timeoutMs} ms`, duration_ms: took() });
      req.destroy();
    }, timeoutMs);
    req.on('response', (res) => {
      clearTimeout(timer);
      res.resume();
      resolve({ url, answers: true, status: res.statusCode ?? null, duration_ms: took() });
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ url, answers: false, status: null, reason: unreachable(e, target), duration_ms: took() });
    });
    req.end();
  });
}
