import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Why the browser suites cannot run here, or null when they can. With CI=true a missing
 * Chromium is a failure (the suite must not pass by skipping), not a reason to skip.
 */
export function browserSkipReason(): string | false {
  if (existsSync(CHROMIUM)) return false;
  if (process.env.CI === 'true') return false;
  return `Chromium is not installed at ${CHROMIUM} (apt-get install chromium; .ci/run does it): browser tests skipped`;
}

/** `extraArgs`: more switches (a suite that records from a fake microphone adds `--use-fake-device-for-media-stream`). */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is required for the browser suite and is missing at ${CHROMIUM}: apt-get install chromium (.ci/run installs it)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', ...extraArgs],
  });
}

export const artifactsDir = fileURLToPath(new URL('../../../../artifacts/web/', import.meta.url));

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(artifactsDir, { recursive: true });
  const path = join(artifactsDir, `${name}.png`);
  // Park the pointer on the header, so no hover state shows in the picture.
  const viewport = page.viewportSize();
  if (viewport) await page.mouse.move(Math.round(viewport.width / 2), 4);
  await page.screenshot({ path });
  return path;
}

/**
 * A browser profile (one person) whose WebSockets the test can see: the page's own
 * WebSocket constructor is wrapped before any script runs, so a test can check whether
 * going offline closed them, and close them if it did not.
 */
export async function newPerson(browser: Browser, baseURL: string, viewport = { width: 1280, height: 800 }): Promise<{ context: BrowserContext; page: Page; dialogs: string[]; errors: string[] }> {
  const context = await browser.newContext({ baseURL, viewport, locale: 'en-GB', timezoneId: 'UTC' });
  await context.addInitScript(() => {
    const Native = window.WebSocket;
    const sockets: WebSocket[] = [];
    const page = window as unknown as { __sockets: WebSocket[]; __loseNetwork: () => number };
    page.__sockets = sockets;
    // What the page sees when a connection dies with the network: a 1006 close now. (Under
    // offline emulation a close started by the page cannot finish its handshake, so the
    // page would not hear of it until the network is back.)
    page.__loseNetwork = () => {
      let lost = 0;
      for (const socket of sockets) {
        if (socket.readyState !== Native.OPEN && socket.readyState !== Native.CONNECTING) continue;
        socket.dispatchEvent(new CloseEvent('close', { code: 1006, reason: '', wasClean: false }));
        socket.close();
        lost++;
      }
      return lost;
    };
    window.WebSocket = class extends Native {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        sockets.push(this);
      }
    };
  });
  const page = await context.newPage();
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return { context, page, dialogs, errors };
}

/** Retries an async check until it passes (assertions included) or time runs out. */
export async function eventually<T>(check: () => Promise<T>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${(last as Error)?.message ?? last}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
