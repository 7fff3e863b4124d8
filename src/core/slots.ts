// At most N tasks at once, the rest started in the order they came: the POSTs to the app, which a call to 40,000 of
// the app's own addresses must not turn into 40,000 sockets. A task that finds a slot free starts at once, in the
// caller's turn: p-limit started each a promise turn later and wrapped it in three more promises, which every
// delivery paid on its way to the app and back.

export class Slots {
  private active = 0;
  /** tasks waiting for a slot, oldest at `head` (taken by index; the array is compacted now and then) */
  private waiting: Array<(() => void) | undefined> = [];
  private head = 0;

  constructor(readonly max: number) {}

  /** tasks running now */
  get activeCount(): number {
    return this.active;
  }

  /** tasks waiting for a slot */
  get pendingCount(): number {
    return this.waiting.length - this.head;
  }

  /** Run `task` now if a slot is free, else once one is; its promise is returned as the task gave it. */
  run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active < this.max) {
      this.active++;
      return this.hold(task);
    }
    return new Promise<void>((resolve) => this.waiting.push(resolve)).then(() => this.hold(task));
  }

  /** Start the task in the slot taken for it; its end (either way) passes the slot on. */
  private hold<T>(task: () => Promise<T>): Promise<T> {
    let running: Promise<T>;
    try {
      running = task();
    } catch (e) {
      running = Promise.reject(e);
    }
    running.then(this.release, this.release);
    return running;
  }

  /** A task ended: the oldest waiting one takes its slot, or the slot is free. */
  private readonly release = (): void => {
    if (this.head === this.waiting.length) {
      this.active--;
      return;
    }
    const next = this.waiting[this.head]!;
    this.waiting[this.head++] = undefined;
    if (this.head === this.waiting.length) {
      this.waiting = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
    next();
  };
}
