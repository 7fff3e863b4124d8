#!/usr/bin/env node
// Launcher only: every behaviour lives in src/cli.ts (compiled to dist/).
import { main } from '../dist/cli.js';

main(process.argv.slice(2)).then((code) => {
  if (typeof code === 'number') process.exitCode = code;
});
