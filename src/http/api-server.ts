// App Engine's API-server protocol, as the real SDKs speak it (../shared/spec/api-server.md): POST /rpc_http
// (Go's appengine.Main(), Python 3 bundled services) and POST / with X-appcfg-api-version (the Python 2 dev
// server's remote_api stub). A remote_api Request in, always HTTP 200 with a remote_api Response out: the SDKs
// read any other status as a transport failure (Python 2 retries 5xx and signs in at Google on a 401).
// Served on bare node:http ahead of express: the app's busiest path passes no middleware.
import type http from 'node:http';
import type { CallContext } from '../core/call-context.js';
import type { Engine } from '../core/engine.js';
import type { Protocol } from '../core/events.js';
import { rejection } from '../core/rejections.js';
import { EMPTY_SUCCESS, Envelope, moduleOfTicket, RPC_ERROR, XMPP_ERROR, XMPP_METHODS, encodeResponse, type RpcErrorName } from '../domain/xmpp-rpc.js';
import { sayIfUnexpected, toXmppError } from './errors.js';
import { checkRequest } from './guard.js';
import { answerAtTurnEnd } from '../core/turn-end.js';

export type ApiProtocol = Extract<Protocol, 'rpc_http' | 'remote_api'>;

/** Above the service's 1 MB call limit, so that limit is reported by the call's own check. */
export const MAX_ENVELOPE_BYTES = 1536 * 1024;

/** Which API-server protocol a request speaks, or null when it is for another surface. */
export function apiProtocolOf(req: http.IncomingMessage): ApiProtocol | null {
  if (req.method !== 'POST') return null;
  if (req.url === '/rpc_http') return 'rpc_http';
  if (req.url === '/' && req.headers['x-appcfg-api-version'] !== undefined) return 'remote_api';
  return null;
}

export function serveApiCall(engine: Engine, protocol: ApiProtocol, req: http.IncomingMessage, res: http.ServerResponse): void {
  // No web page may call it (an SDK never sends browser markings), and only application/octet-stream is spoken.
  const refused = checkRequest(req, 'apiServer', engine.options.host);
  if (refused) {
    req.resume();
    const body = JSON.stringify(refused.toBody());
    res.writeHead(refused.httpStatus, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body);
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    // Past the cap the rest is read and dropped, so memory stays bounded and the client still gets its answer.
    if (size <= MAX_ENVELOPE_BYTES) chunks.push(chunk);
  });
  const reply = (answer: Uint8Array): void =>
    answerAtTurnEnd(() => {
      if (res.destroyed) return;
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': answer.length }).end(answer);
    });
  req.on('end', () => {
    if (size > MAX_ENVELOPE_BYTES) {
      const detail = `the request is ${size} bytes; the API server takes at most ${MAX_ENVELOPE_BYTES}`;
      return reply(failure(engine, protocol, protocol, 'REQUEST_TOO_LARGE', detail, { bytes: size }));
    }
    answerCall(engine, protocol, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), reply);
  });
  req.on('error', () => res.destroy());
}

/**
 * Decode the envelope, run the call, encode the answer and hand it to `reply`: at once, or after the latency the
 * call's faults ask for (a timer, so the event loop is never held). Every failure is a Response, never a throw.
 */
export function answerCall(engine: Engine, protocol: ApiProtocol, body: Uint8Array, reply: (answer: Uint8Array) => void): void {
  let envelope: { service_name: string; method: string; request: Uint8Array; request_id?: string };
  try {
    envelope = Envelope.Request.decode(body) as unknown as typeof envelope;
  } catch (e) {
    return reply(failure(engine, protocol, protocol, 'PARSE_ERROR', `the body is not a remote_api Request protobuf: ${(e as Error).message}`, { bytes: body }));
  }
  const call = `${envelope.service_name}.${envelope.method}`;
  if (EMPTY_SUCCESS.has(call)) return reply(encodeResponse({ response: new Uint8Array(0) }));
  const method = envelope.service_name === 'xmpp' && Object.hasOwn(XMPP_METHODS, envelope.method) ? XMPP_METHODS[envelope.method]! : null;
  if (!method) {
    return reply(
      failure(
        engine,
        protocol,
        call,
        'CALL_NOT_FOUND',
        `${call} is not emulated: xmpp-emu answers the xmpp service (${Object.keys(XMPP_METHODS).join(', ')}) and logservice.Flush`,
        { bytes: envelope.request },
      ),
    );
  }
  let decoded: Record<string, unknown>;
  try {
    decoded = method.request.decode(envelope.request) as unknown as Record<string, unknown>;
  } catch (e) {
    return reply(
      failure(engine, protocol, call, 'PARSE_ERROR', `the request is not a valid ${method.request.name}: ${(e as Error).message}`, {
        bytes: envelope.request,
      }),
    );
  }
  const ctx: CallContext = {
    protocol,
    ticket: envelope.request_id ?? null,
    module: moduleOfTicket(envelope.request_id),
    wire: { method: call, request: decoded },
  };
  // The call belongs to the namespace of the delivery it answers.
  const target = engine.space.forTicket(ctx.ticket) ?? engine;
  const input = method.input(decoded);
  target.serve(
    () => target.call(method.call, input, ctx),
    (e, answer) => {
      if (!e) return reply(encodeResponse({ response: method.response.encode(method.output(answer!)).finish() }));
      const x = toXmppError(e);
      sayIfUnexpected(e, x);
      if (x.code === 'OVER_QUOTA') return reply(failure(target, protocol, call, 'OVER_QUOTA', x.message, input));
      target.emit(rejection(call, protocol, x, input));
      reply(encodeResponse({ application_error: { code: XMPP_ERROR[x.code] ?? XMPP_ERROR.UNSPECIFIED_ERROR, detail: x.message } }));
    },
  );
}

/**
 * A transport-level failure: rpc_error for Go and Python 3; the Python 2 client ignores rpc_error (it would then
 * decode an empty response), so on / the same failure is an application_error naming it.
 */
function failure(engine: Engine, protocol: ApiProtocol, call: string, name: RpcErrorName, detail: string, request: unknown): Uint8Array {
  engine.emit(rejection(call, protocol, { code: name, message: detail }, request));
  return encodeResponse(
    protocol === 'rpc_http'
      ? { rpc_error: { code: RPC_ERROR[name], detail } }
      : { application_error: { code: XMPP_ERROR.UNSPECIFIED_ERROR, detail: `${name}: ${detail}` } },
  );
}
