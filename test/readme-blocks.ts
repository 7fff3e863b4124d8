// The README's fenced code blocks and the markers that say how each is run (see README, Development).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Block {
  /** 1-based line of the opening fence */
  line: number;
  lang: string;
  text: string;
  /** the options of a `<!-- test: ... -->` comment just before the fence, or null */
  marker: Record<string, string> | null;
}

/** The clone's root: the nearest folder up from here whose package.json is xmpp-emu's. */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'xmpp-emu') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the xmpp-emu package root');
    dir = up;
  }
}

/** `key`, `key=value` and `key="value with spaces"`; a bare key reads as "true". */
export function parseMarker(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/([a-z][a-z-]*)(?:=(?:"([^"]*)"|(\S+)))?/g)) out[m[1]!] = m[2] ?? m[3] ?? 'true';
  return out;
}

export function readmeBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    let j = start - 1;
    while (j >= 0 && lines[j]!.trim() === '') j--;
    const marker = j >= 0 ? /^<!--\s*test:(.*?)-->\s*$/.exec(lines[j]!) : null;
    blocks.push({ line: start + 1, lang: open[1]!, text: `${body.join('\n')}\n`, marker: marker ? parseMarker(marker[1]!) : null });
  }
  return blocks;
}
