import lighthouse from 'lighthouse';
import puppeteer, { type Page } from 'puppeteer-core';
import { createUser, expectOk, http, signIn, startApp } from '../../server/test/support/test-app.ts';
import { CHROMIUM } from './support/browser.ts';
import { ensureWebBuild } from './support/build.ts';
import { sqliteOnly } from './support/server.ts';

/**
 * `npm run lighthouse`: Lighthouse's performance and accessibility scores for the sign-in
 * screen and the chat screen (a group conversation with some history), on Debian's Chromium
 * and a server started here on embedded storage. Lighthouse's default: a mid-range phone on a
 * slow 4G link, simulated, so the performance score varies a little from run to run (more on
 * a busy machine); accessibility does not. The README quotes the figures.
 */
const build = ensureWebBuild();
if (build.built) console.log(`built the web client in ${build.ms} ms`);
const server = await startApp(sqliteOnly);
// Nothing leaves this machine: no component updates, no safe-browsing lists, no sync, no metrics.
const browser = await puppeteer.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-default-apps', '--disable-domain-reliability', '--disable-client-side-phishing-detection', '--metrics-recording-only', '--no-default-browser-check'],
});

async function audit(page: Page, url: string, keepStorage: boolean): Promise<{ performance: number; accessibility: number }> {
  const result = await lighthouse(url, { output: 'json', logLevel: 'error', onlyCategories: ['performance', 'accessibility'], disableStorageReset: keepStorage }, undefined, page);
  if (!result) throw new Error(`Lighthouse returned nothing for ${url}`);
  const { categories, runtimeError } = result.lhr;
  if (runtimeError) throw new Error(`Lighthouse failed on ${url}: ${runtimeError.code} ${runtimeError.message}`);
  const score = (id: string) => Math.round((categories[id]?.score ?? 0) * 100);
  return { performance: score('performance'), accessibility: score('accessibility') };
}

try {
  const [owner, friend] = [await createUser(server.url), await createUser(server.url)];
  const say = (text: string, n: number) => http(server.url, 'POST', `/v1/conversations/${group.id}/messages`, { token: (n % 2 ? friend : owner).token, body: { clientMsgId: `lh-${n}`, text } });
  const { conversation: group } = expectOk(await http(server.url, 'POST', '/v1/conversations', { token: owner.token, body: { kind: 'group', title: 'Weekend plans', memberIds: [friend.user.id] } }));
  for (let n = 0; n < 30; n++) expectOk(await say(n % 3 === 0 ? `Message ${n} with **bold** and a link https://example.com/${n}` : `Message ${n}`, n));

  const page = await browser.newPage();
  const signInScreen = await audit(page, `${server.url}/`, false);

  // The chat screen: a stored session, as after a reload (Lighthouse keeps the storage it finds).
  const session = await signIn(server.url, owner.user.id);
  await page.goto(`${server.url}/`);
  await page.evaluate((value) => localStorage.setItem('parley.session', value), JSON.stringify({ userId: session.user.id, accessToken: session.token, refreshToken: session.refreshToken, sessionId: session.sessionId }));
  const chatScreen = await audit(page, `${server.url}/c/${group.id}`, true);
  // The audit must have seen the conversation, not the sign-in screen.
  const shown = await page.evaluate(() => document.querySelectorAll('.messages .message').length);
  if (shown === 0) throw new Error('the chat screen showed no messages: the stored session did not sign in');

  console.log('| Screen | Performance | Accessibility |');
  console.log('| --- | --- | --- |');
  console.log(`| Sign-in | ${signInScreen.performance} | ${signInScreen.accessibility} |`);
  console.log(`| Chat (a group conversation) | ${chatScreen.performance} | ${chatScreen.accessibility} |`);
} finally {
  await browser.close();
  await server.close();
}
