import type { Browser } from 'playwright-core';
import { startApp, type TestApp } from '../../../server/test/support/test-app.ts';
import { launchChromium } from './browser.ts';
import { ensureWebBuild } from './build.ts';
import { sqliteOnly } from './server.ts';

export interface BrowserSuite {
  server: TestApp;
  browser: Browser;
  close(): Promise<void>;
}

/** What every browser suite starts with: the client built, a server in this process serving it, and Chromium. */
export async function startBrowserSuite(): Promise<BrowserSuite> {
  const build = ensureWebBuild();
  if (build.built) console.log(`# built the web client in ${build.ms} ms`);
  const [server, browser] = await Promise.all([startApp(sqliteOnly), launchChromium()]);
  return {
    server,
    browser,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}
