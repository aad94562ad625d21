/**
 * @module browser
 * Starts Debian's Chromium (never a downloaded one) for the browser tests, with the flags that keep it
 * quiet and offline on this kind of machine. Fails with one clear line when Chromium is missing.
 */
import { access } from 'node:fs/promises';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export const DESKTOP_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // headless Chromium announces itself as "HeadlessChrome", which HIO (rightly) treats as a bot, and
  // beacons sent while a page unloads ignore the context's userAgent option: set it for the whole browser
  `--user-agent=${DESKTOP_UA}`,
];

/**
 * Launches headless Chromium with a fresh, throwaway profile.
 * @example
 * const browser = await launchBrowser();
 * const page = await (await browser.newContext()).newPage();
 */
export async function launchBrowser(): Promise<Browser> {
  try {
    await access(CHROMIUM_PATH);
  } catch {
    throw new Error(
      `Chromium is missing: ${CHROMIUM_PATH} not found (install it with: apt-get install -y chromium)`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}
