// The CLI's own build: src/cli.ts and what it imports, dependencies included, bundled by esbuild into dist/bin/,
// so `xmpp-emu start` reads a few files instead of ~600 modules (about half its cold start was module loading).
// What loads on demand (the XMPP surface, chokidar, selfsigned, ws) stays a chunk of its own, read only when used.
// Names are kept (stack traces stay readable); dist/bin/*.js.map maps back to src/ (node --enable-source-maps).
// The library (dist/index.js and its types) is tsc's output, unchanged.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'bin');
fs.rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: { cli: path.join(root, 'src', 'cli.ts') },
  outdir: out,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
  // The bundled CommonJS packages call require() for Node's own modules.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});
