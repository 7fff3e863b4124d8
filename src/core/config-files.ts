// app.yaml and the presence file: read at start, then watched, so an edit applies without a restart.
import fs from 'node:fs';
import path from 'node:path';
import type { FSWatcher } from 'chokidar';
import { parseAppYaml } from '../domain/app-yaml.js';
import { BadRequestError } from '../domain/errors.js';
import { parsePresenceFixture } from '../domain/presence.js';
import type { Engine } from './engine.js';

export interface ConfigFile {
  source: 'app.yaml' | 'presence';
  path: string;
  /** parse and apply; throws with the reason when the text is broken */
  apply(text: string): string;
}

export function appYamlFile(engine: Engine, file: string): ConfigFile {
  return {
    source: 'app.yaml',
    path: file,
    apply(text) {
      const yaml = parseAppYaml(text);
      engine.setInboundServices(yaml.inboundServices);
      return `inbound services: ${yaml.inboundServices.length ? yaml.inboundServices.join(', ') : 'none'}`;
    },
  };
}

export function presenceFile(engine: Engine, file: string): ConfigFile {
  return {
    source: 'presence',
    path: file,
    apply(text) {
      const fixture = parsePresenceFixture(text);
      engine.applyPresenceFixture(fixture);
      return `presence: ${fixture.jids.size} JIDs, ${fixture.subscribed.length} subscribed`;
    },
  };
}

/** Larger than any app.yaml or presence fixture; a bigger "file" (a symlink to /dev/zero, say) is refused. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/**
 * The text of a regular file of at most MAX_CONFIG_BYTES. Opened without blocking and checked on the open
 * descriptor, so a FIFO (which would block the process forever) or a device is refused, and a file replaced
 * between the check and the read cannot slip through.
 */
function readRegularFile(file: string): string {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > MAX_CONFIG_BYTES) throw new Error(`larger than ${MAX_CONFIG_BYTES} bytes`);
    const buf = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let n = 0;
    for (let got = -1; got !== 0 && n < buf.length; n += got) got = fs.readSync(fd, buf, n, buf.length - n, null);
    if (n > MAX_CONFIG_BYTES) throw new Error(`larger than ${MAX_CONFIG_BYTES} bytes`);
    return buf.toString('utf8', 0, n);
  } finally {
    fs.closeSync(fd);
  }
}

/** Read and apply the file: its summary, or why it cannot be read or applied, in a line. */
function readAndApply(c: ConfigFile): { ok: true; summary: string } | { ok: false; why: string } {
  let text: string;
  try {
    text = readRegularFile(c.path);
  } catch (e) {
    return { ok: false, why: `cannot read ${c.source} file ${c.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
  try {
    return { ok: true, summary: c.apply(text) };
  } catch (e) {
    return { ok: false, why: `${c.source} file ${c.path}: ${(e as Error).message}` };
  }
}

/** Load once at start: a missing or broken file stops start-up with its reason (a user mistake: exit 2). */
export function loadConfigFile(c: ConfigFile): string {
  const r = readAndApply(c);
  if (!r.ok) throw new BadRequestError(r.why);
  return r.summary;
}

/** Re-read on every change; a broken edit keeps the last good state and says why. */
export async function watchConfigFile(c: ConfigFile, engine: Engine): Promise<FSWatcher> {
  const reload = (): void => {
    const r = readAndApply(c);
    engine.emit({ type: 'config', source: c.source, ok: r.ok, message: r.ok ? `reloaded ${c.path}: ${r.summary}` : `${r.why}; keeping the last good state` });
  };
  // Imported here so that a run with nothing to watch does not load it.
  const { watch } = await import('chokidar');
  // The directory is watched, not the file: editors and `sed -i` save by renaming a new file over the old one,
  // and a watch on the old file's inode is lost after a quick second save.
  const dir = path.dirname(c.path);
  const watcher = watch(dir, {
    ignoreInitial: true,
    depth: 0,
    ignored: (p) => p !== dir && p !== c.path,
    // A symlink swapped in is itself the change; its target is checked when read.
    followSymlinks: false,
    awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 10 },
  });
  watcher.on('add', reload).on('change', reload);
  watcher.on('unlink', () =>
    engine.emit({
      type: 'config',
      source: c.source,
      ok: false,
      message: `${c.source} file ${c.path} was removed; keeping the last good state until it is back`,
    }),
  );
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return watcher;
}
