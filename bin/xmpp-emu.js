#!/usr/bin/env node
// Launcher only: every behaviour lives in src/cli.ts (bundled into dist/bin/ by src/cli-build.js).
import { main } from '../dist/bin/cli.js';

main(process.argv.slice(2)).then((code) => {
  if (typeof code === 'number') process.exitCode = code;
});
