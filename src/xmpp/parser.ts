// Reading what a client sends, with saxes (strict, namespace-aware): an RFC 6120 stream over TCP, or RFC 7395
// WebSocket frames that each hold one standalone element. Both feed the same session through XmlSink.
import { StringDecoder } from 'node:string_decoder';
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { xmlDepthError } from '../domain/xml.js';
import { NS, type Element } from './element.js';

/** RFC 6120 §11 forbids these in a stream; saxes reports them as events, not errors. */
const RESTRICTED = ['doctype', 'comment', 'processinginstruction'] as const;

export interface XmlSink {
  /** the stream header (TCP) or <open/> (WebSocket) */
  onOpen(attrs: Record<string, string>): void;
  onElement(el: Element): void;
  /** </stream:stream> or <close/> */
  onClose(): void;
  /** condition: an RFC 6120 stream error condition */
  onBadXml(condition: 'not-well-formed' | 'restricted-xml' | 'policy-violation' | 'invalid-namespace' | 'bad-format', text: string): void;
}

function toElement(tag: SaxesTagNS): Element {
  const attrs: Record<string, string> = {};
  const attrNs: Record<string, string> = {};
  for (const a of Object.values(tag.attributes)) {
    if (a.prefix === 'xmlns' || a.name === 'xmlns') continue;
    attrs[a.name] = a.value;
    if (a.prefix && a.uri !== NS.xml) attrNs[a.name] = a.uri;
  }
  return { local: tag.local, ns: tag.uri, attrs, attrNs, children: [] };
}

function plainAttrs(tag: SaxesTagNS): Record<string, string> {
  return Object.fromEntries(Object.values(tag.attributes).map((a) => [a.name, a.value]));
}

/**
 * Builds elements from saxes events below `rootDepth` (1 for a TCP stream, whose root is <stream:stream>; 0 for a
 * WebSocket frame). Stops at the first problem and reports it once.
 */
function wire(parser: SaxesParser<{ xmlns: true }>, rootDepth: number, sink: XmlSink, failed: () => boolean, fail: XmlSink['onBadXml']): { bytes: number } {
  const stack: Element[] = [];
  const state = { bytes: 0 };
  let depth = 0;
  parser.on('error', (e) => fail('not-well-formed', e.message));
  for (const ev of RESTRICTED)
    parser.on(ev, () =>
      fail('restricted-xml', `a ${ev === 'processinginstruction' ? 'processing instruction' : ev} is not allowed in an XMPP stream (RFC 6120 §11)`),
    );
  parser.on('opentag', (tag) => {
    if (failed()) return;
    // A stanza nested past raw_xml's limit is refused, and the parse of the chunk stops here (the throw leaves
    // saxes' write): each deeper level would cost its depth again.
    const tooDeep = xmlDepthError(depth - rootDepth + 1);
    if (tooDeep) {
      fail('policy-violation', `a stanza's ${tooDeep}`);
      throw new Error(tooDeep);
    }
    if (depth === 0 && rootDepth === 1) {
      if (tag.local !== 'stream' || tag.uri !== NS.stream)
        return fail('invalid-namespace', `the stream must open with <stream:stream xmlns:stream="${NS.stream}">`);
      sink.onOpen(plainAttrs(tag));
    } else if (depth === 0 && tag.uri === NS.framing && (tag.local === 'open' || tag.local === 'close')) {
      // RFC 7395 framing elements: complete (self-closing) in their own frame.
      if (tag.local === 'open') sink.onOpen(plainAttrs(tag));
      else sink.onClose();
      depth++;
      return;
    } else {
      const el = toElement(tag);
      stack.at(-1)?.children.push(el);
      stack.push(el);
    }
    depth++;
  });
  parser.on('text', (text) => {
    if (failed()) return;
    if (stack.length > 0) {
      stack.at(-1)!.children.push(text);
    } else if (text.trim() !== '') {
      fail('bad-format', 'text outside any stanza');
    }
  });
  parser.on('cdata', (text) => {
    if (!failed() && stack.length > 0) stack.at(-1)!.children.push(text);
  });
  parser.on('closetag', () => {
    if (failed()) return;
    depth--;
    if (depth === 0 && rootDepth === 1) return sink.onClose();
    const el = stack.pop();
    if (el && stack.length === 0) {
      state.bytes = 0;
      sink.onElement(el);
    }
  });
  return state;
}

/** An RFC 6120 stream on a TCP (or TLS) socket; restart() begins a new stream after STARTTLS or SASL. */
export class StreamReader {
  private parser!: SaxesParser<{ xmlns: true }>;
  private decoder = new StringDecoder('utf8');
  private state = { bytes: 0 };
  private failed = false;

  constructor(
    private readonly sink: XmlSink,
    private readonly maxStanzaBytes: number,
  ) {
    this.restart();
  }

  restart(): void {
    this.parser = new SaxesParser({ xmlns: true, position: false });
    this.decoder = new StringDecoder('utf8');
    this.state = wire(
      this.parser,
      1,
      this.sink,
      () => this.failed,
      (c, t) => this.fail(c, t),
    );
  }

  write(chunk: Buffer): void {
    if (this.failed) return;
    // Bytes since the last complete stanza: one stanza may not grow the buffer past the limit.
    this.state.bytes += chunk.length;
    if (this.state.bytes > this.maxStanzaBytes) return this.fail('policy-violation', `a stanza is larger than ${this.maxStanzaBytes} bytes`);
    try {
      this.parser.write(this.decoder.write(chunk));
    } catch (e) {
      this.fail('not-well-formed', (e as Error).message);
    }
  }

  private fail(condition: Parameters<XmlSink['onBadXml']>[0], text: string): void {
    if (this.failed) return;
    this.failed = true;
    this.sink.onBadXml(condition, text);
  }
}

/** One RFC 7395 frame: exactly one standalone element, starting with "<". */
export function readFrame(frame: string, sink: XmlSink): void {
  let failed = false;
  const fail: XmlSink['onBadXml'] = (c, t) => {
    if (failed) return;
    failed = true;
    sink.onBadXml(c, t);
  };
  if (!frame.startsWith('<')) return fail('not-well-formed', 'a WebSocket frame must start with "<" (RFC 7395 §3.3.3)');
  const parser = new SaxesParser({ xmlns: true, position: false });
  // Hold what the frame holds until it is parsed whole, so a frame with two elements is refused whole.
  const held: Array<() => void> = [];
  const holding: XmlSink = {
    onOpen: (a) => held.push(() => sink.onOpen(a)),
    onClose: () => held.push(() => sink.onClose()),
    onElement: (e) => held.push(() => sink.onElement(e)),
    onBadXml: fail,
  };
  wire(parser, 0, holding, () => failed, fail);
  try {
    parser.write(frame).close();
  } catch (e) {
    fail('not-well-formed', (e as Error).message);
  }
  if (failed) return;
  if (held.length !== 1) return fail('bad-format', 'a WebSocket frame must hold exactly one element (RFC 7395 §3.3.3)');
  held[0]!();
}
