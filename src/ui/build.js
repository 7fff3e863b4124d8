// The web console's own build: type-check with src/ui/tsconfig.json (DOM, JSX), bundle with esbuild into dist/ui.
// esbuild because it bundles and minifies the whole console in well under a second on two cores.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const out = path.join(root, 'dist', 'ui');

try {
  execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(here, 'tsconfig.json')], { stdio: 'inherit' });
} catch {
  console.error('build-ui: the console does not type-check (errors above)');
  process.exit(1);
}
fs.rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: { app: path.join(here, 'main.tsx'), style: path.join(here, 'style.css') },
  outdir: out,
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'linked',
  logLevel: 'warning',
});
fs.copyFileSync(path.join(here, 'index.html'), path.join(out, 'index.html'));
