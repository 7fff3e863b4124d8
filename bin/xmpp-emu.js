#!/usr/bin/env node
// Launcher only: every behaviour lives in src/cli.ts (bundled into dist/bin/ by src/cli-build.js).
import { main } from '../dist/bin/cli.js';

// main answers every failure with an exit code; a rejection would be a bug, said and exited 1, never unhandled.
main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (e) => {
    console.error(e);
    process.exitCode = 1;
  },
);
