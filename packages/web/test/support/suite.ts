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

/**
 * What every browser suite starts with: the client built, a server in this process serving it, and Chromium.
 * Either all of it or nothing: when one part fails to start, the parts that did start are closed before
 * the error is thrown, because the suite's `after` has no suite to close and an open server would keep
 * the test process alive forever (a missing Chromium under CI=true once hung a run for 25 minutes).
 */
export async function startBrowserSuite(options: { env?: Record<string, string>; browserArgs?: string[] } = {}): Promise<BrowserSuite> {
  const build = ensureWebBuild();
  if (build.built) console.log(`# built the web client in ${build.ms} ms`);
  const [server, browser] = await Promise.allSettled([startApp(sqliteOnly, options.env ? { env: options.env } : {}), launchChromium(options.browserArgs)]);
  if (server.status === 'rejected' || browser.status === 'rejected') {
    await Promise.allSettled([server.status === 'fulfilled' && server.value.close(), browser.status === 'fulfilled' && browser.value.close()]);
    throw server.status === 'rejected' ? server.reason : (browser as PromiseRejectedResult).reason;
  }
  return {
    server: server.value,
    browser: browser.value,
    async close() {
      await browser.value.close();
      await server.value.close();
    },
  };
}
