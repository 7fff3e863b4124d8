// --record FILE: every event appended as one JSON line, written synchronously so a crash loses nothing written.
import fs from 'node:fs';
import type { Engine } from './engine.js';

export function recordTranscript(engine: Engine, file: string): () => void {
  const fd = fs.openSync(file, 'a');
  const off = engine.onEvent((event) => {
    fs.writeSync(fd, `${JSON.stringify(event)}\n`);
  });
  return () => {
    off();
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  };
}
