// The recent events, kept as the JSON the feed sends, bounded in count and bytes: a subscriber that (re)connects
// with ?since=SEQ gets what it missed, so the console neither loses nor doubles anything across a reconnect.
import type { EmulatorEvent } from './events.js';

export const HISTORY_MAX_EVENTS = 50_000;
export const HISTORY_MAX_BYTES = 32 * 1024 * 1024;

interface Kept {
  seq: number;
  json: string;
}

export class EventHistory {
  private kept: Kept[] = [];
  /** index of the oldest kept event in `kept` (dropping by index is O(1); the array is compacted now and then) */
  private start = 0;
  private bytes = 0;

  constructor(
    private readonly maxEvents = HISTORY_MAX_EVENTS,
    private readonly maxBytes = HISTORY_MAX_BYTES,
  ) {}

  /** Keep the event; answers its JSON so the feed can reuse it. */
  add(event: EmulatorEvent): string {
    const json = JSON.stringify(event);
    this.kept.push({ seq: event.seq, json });
    // The string's length stands for its bytes (V8 keeps one or two per character): cheap, and bounds memory.
    this.bytes += json.length;
    while (this.kept.length - this.start > this.maxEvents || (this.bytes > this.maxBytes && this.kept.length - this.start > 1)) {
      this.bytes -= this.kept[this.start]!.json.length;
      this.kept[this.start++] = undefined as unknown as Kept;
    }
    if (this.start > 1024 && this.start * 2 > this.kept.length) {
      this.kept = this.kept.slice(this.start);
      this.start = 0;
    }
    return json;
  }

  /** The seq of the newest event seen (0 before any). */
  get lastSeq(): number {
    return this.kept[this.kept.length - 1]?.seq ?? 0;
  }

  /** The seq of the oldest event still kept, or null when none is. */
  get firstSeq(): number | null {
    return this.kept[this.start]?.seq ?? null;
  }

  /** The JSON of every kept event with a seq greater than `since`, oldest first. */
  after(since: number): string[] {
    let lo = this.start;
    let hi = this.kept.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.kept[mid]!.seq <= since) lo = mid + 1;
      else hi = mid;
    }
    const out: string[] = [];
    for (let i = lo; i < this.kept.length; i++) out.push(this.kept[i]!.json);
    return out;
  }
}
