// --record FILE: the journal. Every event is one JSON line, written synchronously before any subscriber hears it, so
// a crash loses nothing written. A service call's line is written before the call takes effect (Namespaces.commit):
// a call whose line cannot be written (full disk, /dev/full, EIO) is refused with UNSPECIFIED_ERROR and leaves no
// trace, so every change the app was told succeeded is in the file. Reads change nothing and go on: their `call`
// lines may be missing, and are counted. Recording resumes by itself with the first line that can be written again
// (the disk freed up); config events say when it failed and, on resuming, what is missing.
import fs from 'node:fs';
import { UnspecifiedError } from '../domain/errors.js';
import { eventJson, utf8Bytes } from './event-json.js';
import type { EmulatorEvent, EventBody } from './events.js';

/** fs.writeSync's shape (tests hand in a disk that fills up and frees again). */
export type WriteSync = (fd: number, buffer: Buffer, offset: number, length: number) => number;

interface Failing {
  since: string;
  why: string;
  /** calls (service calls, injections, presence set) refused because their line could not be written */
  refused: number;
  /** other events (deliveries, presence, rejections, ...) that happened but are not in the file */
  missing: number;
}

export class Transcript {
  private readonly fd: number;
  /** bytes of whole lines in the file: a line cut short by a failing write is truncated back to here */
  private size: number;
  private failing: Failing | null = null;
  private closed = false;

  constructor(
    readonly file: string,
    /** tells the event stream (later, never inside the emit that failed) that recording failed or resumed */
    private readonly tell: (body: EventBody) => void,
    private readonly write: WriteSync = (fd, buffer, offset, length) => fs.writeSync(fd, buffer, offset, length),
  ) {
    this.fd = fs.openSync(file, 'a');
    this.size = fs.fstatSync(this.fd).size;
  }

  /** A service call's line: written whole, or the call's coded error with nothing written. */
  commit(event: EmulatorEvent): void {
    if (this.append(`${eventJson(event)}\n`)) return;
    this.failing!.refused++;
    throw new UnspecifiedError(this.refusal(`the ${event.type} event`));
  }

  /** Any other event's line: written when it can be; one that cannot is counted and named when recording resumes. */
  note(event: EmulatorEvent): void {
    if (!this.append(`${eventJson(event)}\n`)) this.failing!.missing++;
  }

  /** Before an injection or another change whose line comes later: the coded error while lines cannot be written
   * (after one more try, with an empty line, which readers of a transcript skip). */
  ready(what: string): void {
    if (!this.failing || this.append('\n')) return;
    this.failing.refused++;
    throw new UnspecifiedError(this.refusal(what));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      fs.fsyncSync(this.fd);
    } catch {
      // A device that cannot sync (/dev/full) has nothing more to lose here.
    }
    fs.closeSync(this.fd);
  }

  private refusal(what: string): string {
    return `not done: ${what} cannot be written to the transcript ${this.file} (${this.failing!.why}); with --record every call is recorded before it is acknowledged, so calls are refused until the disk takes lines again`;
  }

  /** Write all of `text` (writeSync may write less than asked on a nearly full disk), or none of it. */
  private append(text: string): boolean {
    if (this.closed) return true;
    const bytes = utf8Bytes(text);
    try {
      for (let done = 0; done < bytes.length;) done += this.write(this.fd, bytes, done, bytes.length - done);
    } catch (e) {
      this.cutBack();
      this.fail((e as NodeJS.ErrnoException).code ?? (e as Error).message);
      return false;
    }
    this.size += bytes.length;
    if (this.failing) this.resume();
    return true;
  }

  /** Drop the part of a line a failing write left, so the file stays whole JSON lines. */
  private cutBack(): void {
    try {
      fs.ftruncateSync(this.fd, this.size);
    } catch {
      // A device (/dev/full) has no length to cut; nothing of the line is stored there anyway.
    }
  }

  private fail(why: string): void {
    if (this.failing) return;
    this.failing = { since: new Date().toISOString(), why, refused: 0, missing: 0 };
    const message = `cannot write the transcript ${this.file} (${why}): service calls and injections are refused until it can be written again`;
    setImmediate(() => this.tell({ type: 'config', source: 'transcript', ok: false, message }));
  }

  private resume(): void {
    const { since, why, refused, missing } = this.failing!;
    this.failing = null;
    const message =
      `recording to ${this.file} resumed; from ${since} lines could not be written (${why}): ${refused} call${refused === 1 ? ' was' : 's were'} refused, ` +
      `${missing} other event${missing === 1 ? ' is' : 's are'} missing from the file`;
    setImmediate(() => this.tell({ type: 'config', source: 'transcript', ok: true, message }));
  }
}
