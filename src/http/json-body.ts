// JSON bodies without a framework. Reading: size limit, gzip/deflate/br, UTF-8 and JSON checks, each failure a coded
// error (what express.json did, in one pass over the bytes and no middleware chain). Writing: one JSON answer.
import { isAscii, isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { BadRequestError, ExceededMaxSizeError, type XmppError } from '../domain/errors.js';

const DECODERS: Record<string, () => zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress> = {
  gzip: () => zlib.createGunzip(),
  'x-gzip': () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  br: () => zlib.createBrotliDecompress(),
};

const BACKSLASH = 0x5c;

function charsetOf(contentType: string | undefined): string | null {
  const m = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '');
  return m ? m[1]!.toLowerCase() : null;
}

function tooLarge(limit: number, length: number | null, decompressed = false): XmppError {
  const size = `${length === null ? `more than ${limit}` : length} bytes${decompressed ? ' once decompressed' : ''}`;
  return new ExceededMaxSizeError(`the request body is ${size}; at most ${limit} bytes are accepted`);
}

/**
 * Read `req`'s body as JSON (any JSON value; an empty body reads as {}). `done` gets a coded error or the value, and
 * `asciiText`: true when every string in it is ASCII from U+0020 to U+007F (no escape and no byte above 0x7F in the
 * text; JSON strings cannot hold raw control characters). The limit applies to the decoded bytes, so a small
 * compressed body cannot inflate past it.
 */
export function readJsonBody(req: IncomingMessage, limit: number, done: (err: XmppError | null, value?: unknown, asciiText?: boolean) => void): void {
  const declared = req.headers['content-length'] === undefined ? null : Number(req.headers['content-length']);
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  const charset = charsetOf(req.headers['content-type']);
  if (charset !== null && charset !== 'utf-8' && charset !== 'utf8')
    return done(new BadRequestError(`unsupported request encoding: charset "${charset}" (send UTF-8)`));
  if (encoding === 'identity' && declared !== null && declared > limit) return done(tooLarge(limit, declared));
  let source: Readable = req;
  if (encoding !== 'identity') {
    const decoder = DECODERS[encoding];
    if (!decoder) return done(new BadRequestError(`unsupported request encoding: Content-Encoding "${encoding}" (send gzip, deflate, br or none)`));
    source = req.pipe(decoder());
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let finished = false;
  const finish = (err: XmppError | null, value?: unknown, asciiText = false): void => {
    if (finished) return;
    finished = true;
    done(err, value, asciiText);
  };
  source.on('data', (c: Buffer) => {
    size += c.length;
    if (size <= limit) return void chunks.push(c);
    if (source !== req) source.destroy();
    finish(encoding === 'identity' ? tooLarge(limit, declared) : tooLarge(limit, null, true));
  });
  source.on('error', (e) => finish(new BadRequestError(`the request body could not be decoded (${encoding}): ${e.message}`)));
  source.on('end', () => {
    const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    if (buf.length === 0) return finish(null, {});
    // ASCII (most bodies) is the same text read as latin1, which is a copy; UTF-8 decoding goes byte by byte.
    const ascii = isAscii(buf);
    if (!ascii && !isUtf8(buf)) return finish(new BadRequestError('the request body is not valid UTF-8'));
    let value: unknown;
    try {
      value = JSON.parse(buf.toString(ascii ? 'latin1' : 'utf8'));
    } catch (e) {
      return finish(new BadRequestError(`malformed JSON in the request body: ${(e as Error).message}`));
    }
    finish(null, value, ascii && !buf.includes(BACKSLASH));
  });
}

/** Answer `value` as JSON, with the headers express's res.json() sent. */
export function writeJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value) ?? '';
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
