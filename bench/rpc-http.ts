// Issue 10's row: SendMessage as the real SDKs send it (a remote_api Request on POST /rpc_http) against the same
// message through the JSON service API, on one emulator, alternating, so the two protocols share every condition.
import autocannon from 'autocannon';
import { root } from '../src/domain/api-protos.js';
import { cpuMicros, startChild, stop, type LoadResult } from './measure.js';

export type RowSink = (name: string, emu: string, base: string, ratio: number, target: string, ok: boolean | null) => void;

const BODY = 'Someone has sent you a gift on Example.com.';
const JSON_BODY = JSON.stringify({ jids: 'alice@example.com', body: BODY });
/** The bytes Go's xmpp.Message.Send() posts for the same message (type chat, as the SDK always sends it). */
const RPC_BODY = Buffer.from(
  root
    .lookupType('remote_api.Request')
    .encode({
      service_name: 'xmpp',
      method: 'SendMessage',
      request: root
        .lookupType('appengine.XmppMessageRequest')
        .encode({ jid: ['alice@example.com'], body: BODY, type: 'chat' })
        .finish(),
    })
    .finish(),
);

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);

async function load(port: number, pid: number, path: string, body: string | Buffer, type: string): Promise<LoadResult> {
  const before = cpuMicros(pid);
  const r = await autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    method: 'POST',
    headers: { 'content-type': type },
    body,
    connections: 16,
    duration: SECONDS,
  });
  const cpu = cpuMicros(pid) - before;
  if (r.non2xx || r.errors) throw new Error(`load run on ${path} had ${r.non2xx} non-2xx answers and ${r.errors} errors`);
  return { rps: r.requests.average, cpuUs: cpu / r.requests.total };
}

/** A and B alternately after a warm-up; the medians (run.ts's sideBySide). */
export type SideBySide = (a: () => Promise<LoadResult>, b: () => Promise<LoadResult>) => Promise<[LoadResult, LoadResult]>;

/** The emulator's CPU per SendMessage over /rpc_http ÷ per send_message over JSON: target ≤ 1.10. */
export async function rpcHttpRow(args: string[], sideBySide: SideBySide, row: RowSink): Promise<void> {
  const emu = await startChild(args);
  const pid = emu.proc.pid!;
  const [r, j] = await sideBySide(
    () => load(emu.port, pid, '/rpc_http', RPC_BODY, 'application/octet-stream'),
    () => load(emu.port, pid, '/v1/xmpp/send_message', JSON_BODY, 'application/json'),
  );
  await stop(emu);
  const fmt = (x: LoadResult): string => `${x.rps.toFixed(0)}/s ${x.cpuUs.toFixed(1)}µs`;
  const ratio = r.cpuUs / j.cpuUs;
  row('SendMessage over /rpc_http vs send_message JSON, 16 conn (CPU)', fmt(r), fmt(j), ratio, '≤ 1.10', ratio <= 1.1);
}
