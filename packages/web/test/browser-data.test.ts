import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { createUser, expectOk, http, type TestApp, type TestUser } from '../../server/test/support/test-app.ts';
import { browserSkipReason, eventually, screenshot } from './support/browser.ts';
import { type BrowserSuite, startBrowserSuite } from './support/suite.ts';
import { openAs, uniqueHandle } from './support/chat.ts';

/**
 * Issue 20 in the web client: searching messages (results in context, a click shows the
 * message even when it is far back in the history) and exporting your data from Settings.
 * Other people act through the HTTP API; the person in Chromium is checked.
 */
const skip = browserSkipReason();
if (skip) console.log(`# ${skip}`);

async function axeSerious(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).slice(0, 3).join(', ')}`);
}

describe('web client search and data export (issue 20) in Chromium', { skip }, () => {
  let suite: BrowserSuite | undefined;
  let server: TestApp;
  let browser: Browser;
  const post = async (user: TestUser, path: string, body: unknown = {}) => expectOk(await http(server.url, 'POST', path, { token: user.token, body }), `POST ${path}`);

  before(async () => {
    suite = await startBrowserSuite({ env: { EXPORT_INTERVAL_MS: '200' } });
    ({ server, browser } = suite);
  });

  after(() => suite?.close());

  it('finds messages with the words marked, filters by links, and a click opens the conversation at a message far back', async () => {
    const [ada, ben] = await Promise.all([createUser(server.url, uniqueHandle('ada')), createUser(server.url, uniqueHandle('ben'))]);
    const { conversation } = await post(ben, '/v1/conversations', { kind: 'group', title: 'Holiday plans', memberIds: [ada.user.id] });
    const path = `/v1/conversations/${conversation.id}/messages`;
    const { message: target } = await post(ben, path, { clientMsgId: 'far-1', text: 'The ferry leaves at seven from pier four' });
    await post(ben, path, { clientMsgId: 'far-2', text: 'Ferry tickets are on https://example.com/ferry' });
    for (let i = 0; i < 80; i++) await post(i % 2 ? ada : ben, path, { clientMsgId: `filler-${i}`, text: `filler message ${i}` });

    const person = await openAs(browser, server, ada);
    const page = person.page;
    await page.getByRole('button', { name: 'Search messages' }).click();
    const dialog = page.getByRole('dialog', { name: 'Search messages' });
    await dialog.getByRole('searchbox', { name: 'Words to find' }).fill('ferry');
    await dialog.getByRole('button', { name: 'Search' }).click();
    const hits = dialog.getByRole('list', { name: 'Messages found' }).locator('.search-hit');
    await eventually(async () => assert.equal(await hits.count(), 2), 'two messages found');
    // Each hit marks the word where it matched (the link's "ferry" too).
    for (const hit of await hits.all()) assert.ok((await hit.locator('mark').allTextContents()).length >= 1 && (await hit.locator('mark').allTextContents()).every((text) => text.toLowerCase() === 'ferry'));
    assert.match((await hits.first().textContent()) ?? '', /Holiday plans/u);
    assert.deepEqual(await axeSerious(page), [], 'no serious or critical violations in the search dialog');
    await screenshot(page, 'message-search');

    await dialog.getByRole('combobox', { name: 'Only messages with' }).selectOption('link');
    await dialog.getByRole('button', { name: 'Search' }).click();
    await eventually(async () => assert.deepEqual(await hits.allTextContents().then((texts) => texts.map((text) => text.includes('tickets'))), [true]), 'only the message with a link');
    await dialog.getByRole('combobox', { name: 'Only messages with' }).selectOption('');
    await dialog.getByRole('button', { name: 'Search' }).click();
    await eventually(async () => assert.equal(await hits.count(), 2), 'both again');

    // The oldest one: 80 messages newer than it, so the timeline pages back to show it.
    await hits.filter({ hasText: 'pier four' }).click();
    await page.getByRole('heading', { name: 'Holiday plans', level: 2 }).waitFor();
    const shown = page.locator(`.message-scroller [data-message-id="${target.id}"]`);
    await eventually(async () => assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-message-id') ?? null), target.id), 'the message to be brought into view', 30_000);
    assert.ok(await shown.isVisible());
    const inView = await shown.evaluate((element) => {
      const box = element.getBoundingClientRect();
      const scroller = element.closest('.message-scroller')!.getBoundingClientRect();
      return box.bottom > scroller.top && box.top < scroller.bottom;
    });
    assert.ok(inView, 'scrolled to it');
    assert.deepEqual(person.errors, []);
    await person.context.close();
  });

  it('finds people by name in "New chat", forgiving a typo, never across a block, and messages one', async () => {
    const suffix = uniqueHandle('x').slice(-6);
    const [eli, fern, gil] = await Promise.all([createUser(server.url, uniqueHandle('eli')), createUser(server.url, uniqueHandle('fern')), createUser(server.url, uniqueHandle('gil'))]);
    const rename = (user: TestUser, displayName: string) => http(server.url, 'PATCH', '/v1/me', { token: user.token, body: { displayName } });
    expectOk(await rename(fern, `Fernanda Quill${suffix}`), 'rename');
    expectOk(await rename(gil, `Gilda Quill${suffix}`), 'rename');
    expectOk(await http(server.url, 'PUT', `/v1/me/blocks/${eli.user.id}`, { token: gil.token }), 'block');

    const person = await openAs(browser, server, eli);
    const page = person.page;
    await page.getByRole('button', { name: 'New chat' }).click();
    const dialog = page.getByRole('dialog', { name: 'New conversation' });
    await dialog.getByRole('searchbox', { name: 'Or find people by name' }).fill('fernnda');
    const found = dialog.getByRole('list', { name: 'People found' });
    await eventually(async () => assert.ok((await found.locator('strong').allTextContents()).includes(`Fernanda Quill${suffix}`)), 'Fernanda despite the typo', 15_000);
    await dialog.getByRole('searchbox', { name: 'Or find people by name' }).fill(`Quill${suffix}`);
    await eventually(async () => assert.deepEqual(await found.locator('strong').allTextContents(), [`Fernanda Quill${suffix}`]), 'only Fernanda: Gilda blocked Eli', 15_000);
    assert.deepEqual(await axeSerious(page), [], 'no serious or critical violations in New chat with people found');
    await dialog.getByRole('button', { name: `Message Fernanda Quill${suffix}` }).click();
    await page.getByRole('heading', { name: `Fernanda Quill${suffix}`, level: 2 }).waitFor();
    assert.deepEqual(person.errors, []);
    await person.context.close();
  });

  it('exports your data from Settings: asked, prepared in the background, downloaded; asking again too soon says when', async () => {
    const cleo = await createUser(server.url, uniqueHandle('cleo'));
    const dan = await createUser(server.url, uniqueHandle('dan'));
    const { conversation } = await post(cleo, '/v1/conversations', { kind: 'direct', userId: dan.user.id });
    await post(dan, `/v1/conversations/${conversation.id}/messages`, { clientMsgId: 'x-1', text: 'for the archive' });

    const person = await openAs(browser, server, cleo);
    const page = person.page;
    await page.getByRole('button', { name: 'Settings and profile' }).click();
    const settings = page.getByRole('dialog', { name: 'Settings' });
    const section = settings.getByRole('region', { name: 'Your data' });
    await section.getByRole('button', { name: 'Export your data' }).click();
    const download = section.getByRole('link', { name: /^Download \(/u });
    await download.waitFor({ timeout: 30_000 });
    assert.match((await section.getByRole('status').textContent()) ?? '', /Ready/u);
    const href = await download.getAttribute('href');
    const response = await fetch(href!);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/gzip');
    const bytes = Buffer.from(await response.arrayBuffer());
    assert.deepEqual([...bytes.subarray(0, 2)], [0x1f, 0x8b], 'a gzip stream');
    assert.deepEqual(await axeSerious(page), [], 'no serious or critical violations in Settings with an export');
    await screenshot(page, 'data-export');

    await section.getByRole('button', { name: 'Export your data' }).click();
    await section.getByRole('alert').filter({ hasText: 'You asked for an export recently' }).waitFor();
    assert.deepEqual(person.errors, []);
    await person.context.close();
  });
});
