// --record FILE: every event appended as one JSON line, written synchronously so a crash loses nothing written.
import fs from 'node:fs';
import type { Engine } from './engine.js';

/** Write all of `text`: writeSync may write less than asked (a nearly full disk); a short write is retried. */
function writeWhole(fd: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  for (let done = 0; done < bytes.length;) done += fs.writeSync(fd, bytes, done, bytes.length - done);
}

export function recordTranscript(engine: Engine, file: string): () => void {
  const fd = fs.openSync(file, 'a');
  let failed = false;
  // A write that fails (ENOSPC, EIO, /dev/full) stops the recording with an event saying so; it never throws
  // into the call or delivery that emitted the event, so the service itself goes on.
  const off = engine.onEvent((event) => {
    if (failed) return;
    try {
      writeWhole(fd, `${JSON.stringify(event)}\n`);
    } catch (e) {
      failed = true;
      off();
      const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      engine.emit({
        type: 'config',
        source: 'transcript',
        ok: false,
        message: `cannot write the transcript ${file} (${why}); recording stopped, the emulator goes on`,
      });
    }
  });
  return () => {
    off();
    try {
      fs.fsyncSync(fd);
    } catch {
      // A device that cannot sync (/dev/full) has nothing more to lose here.
    }
    fs.closeSync(fd);
  };
}
