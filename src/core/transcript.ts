// --record FILE: every event appended as one JSON line, written synchronously so a crash loses nothing written.
import fs from 'node:fs';
import type { Emulator } from './emulator.js';

export function recordTranscript(emulator: Emulator, file: string): () => void {
  const fd = fs.openSync(file, 'a');
  const off = emulator.on((event) => {
    fs.writeSync(fd, `${JSON.stringify(event)}\n`);
  });
  return () => {
    off();
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  };
}
