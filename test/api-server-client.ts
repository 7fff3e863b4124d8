// Test plumbing for App Engine's API-server protocol: encode a call as the SDKs do and decode the answer.
import { root } from '../src/domain/api-protos.js';

export const Request = root.lookupType('remote_api.Request');
export const Response = root.lookupType('remote_api.Response');
export const xmppType = (name: string) => root.lookupType(`appengine.${name}`);

export interface RpcAnswer {
  status: number;
  raw: Buffer;
  response?: Uint8Array;
  application_error?: { code: number; detail: string };
  rpc_error?: { code: number; detail?: string };
}

/** POST one call to `path` (/rpc_http or /) as the Go SDK (or, with `/`, the Python 2 SDK) sends it. */
export async function rpc(
  base: string,
  path: '/rpc_http' | '/',
  service: string,
  method: string,
  request: Uint8Array | Record<string, unknown>,
  requestId?: string,
): Promise<RpcAnswer> {
  const bytes = request instanceof Uint8Array ? request : xmppType(requestTypeOf(method)).encode(request).finish();
  const envelope = Request.encode({ service_name: service, method, request: bytes, ...(requestId ? { request_id: requestId } : {}) }).finish();
  return post(base, path, envelope);
}

export async function post(base: string, path: string, body: Uint8Array, headers: Record<string, string> = {}): Promise<RpcAnswer> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers:
      path === '/'
        ? { 'Content-Type': 'application/octet-stream', 'X-appcfg-api-version': '1', ...headers }
        : { 'Content-Type': 'application/octet-stream', ...headers },
    body: Buffer.from(body),
  });
  const raw = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200) return { status: res.status, raw };
  return { status: res.status, raw, ...(Response.toObject(Response.decode(raw)) as Omit<RpcAnswer, 'status' | 'raw'>) };
}

const REQUEST_TYPES: Record<string, string> = {
  SendMessage: 'XmppMessageRequest',
  GetPresence: 'PresenceRequest',
  BulkGetPresence: 'BulkPresenceRequest',
  SendInvite: 'XmppInviteRequest',
  SendPresence: 'XmppSendPresenceRequest',
};
const RESPONSE_TYPES: Record<string, string> = {
  SendMessage: 'XmppMessageResponse',
  GetPresence: 'PresenceResponse',
  BulkGetPresence: 'BulkPresenceResponse',
};
const requestTypeOf = (method: string): string => REQUEST_TYPES[method] ?? 'XmppInviteRequest';

/** The service's response message, decoded (fields the answer left out stay out). */
export function decodeAnswer(method: string, a: RpcAnswer): Record<string, unknown> {
  const t = xmppType(RESPONSE_TYPES[method]!);
  return t.toObject(t.decode(a.response ?? new Uint8Array(0)));
}
