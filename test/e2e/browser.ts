// Headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core; never a downloaded browser.
import fs from 'node:fs';
import type { Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Why the browser tests cannot run here, or false. In CI a missing Chromium is a failure, not a skip. */
export function chromiumMissing(): string | false {
  if (fs.existsSync(CHROMIUM) || process.env.CI === 'true') return false;
  return `${CHROMIUM} is not installed (apt-get install chromium)`;
}

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}
