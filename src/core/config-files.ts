// app.yaml and the presence file: read at start, then watched, so an edit applies without a restart.
import fs from 'node:fs';
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

/** Read and apply the file: its summary, or why it cannot be read or applied, in a line. */
function readAndApply(c: ConfigFile): { ok: true; summary: string } | { ok: false; why: string } {
  let text: string;
  try {
    text = fs.readFileSync(c.path, 'utf8');
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
  const watcher = watch(c.path, { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 10 } });
  watcher.on('add', reload).on('change', reload);
  await new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return watcher;
}
