import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { createUser, expectOk, http, type TestApp, type TestUser } from '../../server/test/support/test-app.ts';
import { browserSkipReason, eventually, screenshot } from './support/browser.ts';
import { type BrowserSuite, startBrowserSuite } from './support/suite.ts';
import { openAs, openConversation, uniqueHandle } from './support/chat.ts';

/**
 * What users of other chat apps take for granted (issue 18): formatting, lines for what
 * happened in the conversation, dark mode, the keyboard (Esc, Ctrl+K) and getting back to
 * the end. The other people act through the HTTP API; the person in Chromium is checked.
 */
const skip = browserSkipReason();
if (skip) console.log(`# ${skip}`);

/** What the timeline shows, in order: messages as their text, lines of events as "— text". */
async function timeline(page: Page): Promise<string[]> {
  return page.locator('.messages > li[data-row="notice"], .messages > li.message:not(.pending)').evaluateAll((rows) =>
    rows.map((row) => (row.matches('[data-row="notice"]') ? `— ${row.textContent}` : row.querySelector('.message-text')?.textContent ?? '')),
  );
}

describe('web client features of issue 18 in Chromium', { skip }, () => {
  let suite: BrowserSuite | undefined;
  let server: TestApp;
  let browser: Browser;
  const post = async (user: TestUser, path: string, body: unknown = {}) => expectOk(await http(server.url, 'POST', path, { token: user.token, body }), `POST ${path}`);

  before(async () => {
    suite = await startBrowserSuite();
    ({ server, browser } = suite);
  });

  after(() => suite?.close());

  it('formats a safe markdown subset and never interprets HTML', async () => {
    const [ada, ben] = await Promise.all([createUser(server.url, uniqueHandle('ada')), createUser(server.url, uniqueHandle('ben'))]);
    const { conversation } = await post(ada, '/v1/conversations', { kind: 'direct', userId: ben.user.id });
    const inline = '**bold** _italic_ ~~struck~~ `a<b>c` [the docs](https://example.com/docs) <b>raw</b> <img src=x onerror=alert(1)> 5 * 3 * 2';
    const blocks = 'Code:\n```\nif (a < b) { **not bold** }\n```\n> quoted _line_\nafter';
    await post(ada, `/v1/conversations/${conversation.id}/messages`, { clientMsgId: 'md-1', text: inline });
    await post(ada, `/v1/conversations/${conversation.id}/messages`, { clientMsgId: 'md-2', text: blocks });

    const person = await openAs(browser, server, ben);
    await openConversation(person.page, ada.user.displayName);
    const [first, second] = [person.page.locator('.message').nth(0).locator('.message-text'), person.page.locator('.message').nth(1).locator('.message-text')];
    await first.waitFor();
    assert.equal(await first.locator('strong').textContent(), 'bold');
    assert.equal(await first.locator('em').textContent(), 'italic');
    assert.equal(await first.locator('del').textContent(), 'struck');
    assert.equal(await first.locator('code').textContent(), 'a<b>c');
    const link = first.locator('a');
    assert.deepEqual(await link.evaluate((a) => [a.textContent, a.getAttribute('href'), a.getAttribute('rel')]), ['the docs', 'https://example.com/docs', 'noopener noreferrer nofollow']);
    assert.match((await first.textContent()) ?? '', /<b>raw<\/b> <img src=x onerror=alert\(1\)> 5 \* 3 \* 2$/u, 'markup and arithmetic stay text');
    assert.equal(await person.page.locator('.messages b, .messages img, .messages script').count(), 0, 'no element made from markup');
    assert.equal(await second.locator('pre code').textContent(), 'if (a < b) { **not bold** }');
    assert.equal(await second.locator('blockquote').textContent(), 'quoted line');
    assert.equal(await second.locator('blockquote em').textContent(), 'line');
    await screenshot(person.page, 'markdown');
    assert.deepEqual(person.dialogs, []);
    assert.deepEqual(person.errors, []);
    await person.context.close();
  });

  it('shows lines for what happened: created, renamed, added, role changed, pinned, left; live too', async () => {
    const [olga, sam, lee] = await Promise.all([createUser(server.url, uniqueHandle('olga')), createUser(server.url, uniqueHandle('sam')), createUser(server.url, uniqueHandle('lee'))]);
    const [O, L] = [olga.user.displayName, lee.user.displayName];
    const { conversation } = await post(olga, '/v1/conversations', { kind: 'group', title: 'Notice board', memberIds: [sam.user.id] });
    const path = `/v1/conversations/${conversation.id}`;
    const { message } = await post(olga, `${path}/messages`, { clientMsgId: 'n-1', text: 'Welcome' });
    expectOk(await http(server.url, 'PATCH', path, { token: olga.token, body: { title: 'Notice board 2' } }), 'rename');
    await post(olga, `${path}/members`, { userIds: [lee.user.id] });
    expectOk(await http(server.url, 'PATCH', `${path}/members/${sam.user.id}`, { token: olga.token, body: { role: 'admin' } }), 'role');
    expectOk(await http(server.url, 'PUT', `${path}/messages/${message.id}/pin`, { token: olga.token }), 'pin');
    await post(lee, `${path}/leave`);

    const person = await openAs(browser, server, sam);
    await openConversation(person.page, 'Notice board 2');
    const expected = [`— ${O} created the group “Notice board”`, `— ${O} added You`, 'Welcome', `— ${O} renamed the group to “Notice board 2”`, `— ${O} added ${L}`, `— ${O} made You an admin`, `— ${O} pinned “Welcome”`, `— ${L} left`];
    await eventually(async () => assert.deepEqual(await timeline(person.page), expected), 'the lines in the timeline');
    // Live: a rename shows at once, as a line and in the header.
    expectOk(await http(server.url, 'PATCH', path, { token: olga.token, body: { title: 'Notice board 3' } }), 'rename again');
    await person.page.getByRole('heading', { name: 'Notice board 3', level: 2 }).waitFor();
    await eventually(async () => assert.deepEqual(await timeline(person.page), [...expected, `— ${O} renamed the group to “Notice board 3”`]), 'the live line');
    await screenshot(person.page, 'system-lines');
    assert.deepEqual(person.errors, []);
    await person.context.close();
  });

  it('follows the system’s dark mode, and Settings can pin light or dark (kept across a reload)', async () => {
    const [kim, jo] = await Promise.all([createUser(server.url, uniqueHandle('kim')), createUser(server.url, uniqueHandle('jo'))]);
    const { conversation } = await post(kim, '/v1/conversations', { kind: 'group', title: 'Night owls', memberIds: [jo.user.id] });
    const { message } = await post(jo, `/v1/conversations/${conversation.id}/messages`, { clientMsgId: 'dark-1', text: 'Late **again**? Try `sleep 8h`\n> quoted' });
    await post(kim, `/v1/conversations/${conversation.id}/messages`, { clientMsgId: 'dark-2', text: 'Always https://example.com/owls' });
    expectOk(await http(server.url, 'PUT', `/v1/conversations/${conversation.id}/messages/${message.id}/pin`, { token: kim.token }), 'pin');
    const person = await openAs(browser, server, kim);
    const background = () => person.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await person.page.emulateMedia({ colorScheme: 'dark' });
    await eventually(async () => assert.equal(await background(), 'rgb(15, 17, 23)'), 'dark, as the system');
    await person.page.getByRole('button', { name: 'Settings and profile' }).click();
    const settings = person.page.getByRole('dialog', { name: 'Settings' });
    await settings.getByRole('radio', { name: 'Light' }).check();
    await eventually(async () => assert.equal(await background(), 'rgb(244, 245, 249)'), 'light, as chosen');
    await person.page.reload();
    await person.page.getByRole('button', { name: 'New chat' }).waitFor();
    assert.equal(await background(), 'rgb(244, 245, 249)', 'still light after a reload');
    await person.page.getByRole('button', { name: 'Settings and profile' }).click();
    await settings.getByRole('radio', { name: 'Same as the system' }).check();
    await eventually(async () => assert.equal(await background(), 'rgb(15, 17, 23)'), 'the system’s again');
    // Dark, with every kind of line and text there is: AA contrast holds (axe-core).
    await person.page.getByRole('dialog', { name: 'Settings' }).getByRole('button', { name: 'Close' }).click();
    await openConversation(person.page, 'Night owls');
    await person.page.locator('[data-row="notice"]', { hasText: 'pinned' }).waitFor();
    await person.page.locator('.ticks').first().waitFor();
    const results = await new AxeBuilder({ page: person.page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const serious = results.violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical').map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).slice(0, 3).join(', ')}`);
    assert.deepEqual(serious, [], 'no serious or critical violations in dark mode');
    await screenshot(person.page, 'dark-mode');
    await person.page.emulateMedia({ colorScheme: 'light' });
    await eventually(async () => assert.equal(await background(), 'rgb(244, 245, 249)'), 'following the system live');
    assert.deepEqual(person.errors, []);
    await person.context.close();
  });

  it('keyboard: Esc closes the details panel, Ctrl+K finds a conversation by name', async () => {
    const [mia, ned, ola] = await Promise.all([createUser(server.url, uniqueHandle('mia')), createUser(server.url, uniqueHandle('ned')), createUser(server.url, uniqueHandle('ola'))]);
    await post(ned, '/v1/conversations', { kind: 'direct', userId: mia.user.id });
    await post(mia, '/v1/conversations', { kind: 'group', title: 'Quarterly planning', memberIds: [ola.user.id] });

    const person = await openAs(browser, server, mia);
    await openConversation(person.page, ned.user.displayName);
    await person.page.getByRole('button', { name: 'Conversation details' }).click();
    const panel = person.page.getByRole('complementary', { name: 'Conversation details' });
    await panel.waitFor();
    await person.page.getByRole('textbox', { name: 'Message', exact: true }).focus();
    await person.page.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });

    await person.page.keyboard.press('Control+k');
    const switcher = person.page.getByRole('dialog', { name: 'Go to conversation' });
    await switcher.getByRole('combobox', { name: 'Conversation name' }).waitFor();
    await person.page.keyboard.type('quart');
    assert.deepEqual(await switcher.getByRole('option').locator('.switcher-title').allTextContents(), ['Quarterly planning']);
    await screenshot(person.page, 'quick-switcher');
    await person.page.keyboard.press('Enter');
    await person.page.getByRole('heading', { name: 'Quarterly planning', level: 2 }).waitFor();
    await switcher.waitFor({ state: 'hidden' });
    // Esc closes it without going anywhere.
    await person.page.keyboard.press('Control+k');
    await switcher.getByRole('combobox').waitFor();
    await person.page.keyboard.press('Escape');
    await switcher.waitFor({ state: 'hidden' });
    await person.page.getByRole('heading', { name: 'Quarterly planning', level: 2 }).waitFor();
    assert.deepEqual(person.errors, []);
    await person.context.close();
  });

  it('"jump to the latest" counts what is unread below and takes the reader there', async () => {
    const [dee, eli] = await Promise.all([createUser(server.url, uniqueHandle('dee')), createUser(server.url, uniqueHandle('eli'))]);
    const { conversation } = await post(dee, '/v1/conversations', { kind: 'group', title: 'Catch up', memberIds: [eli.user.id] });
    await post(eli, `/v1/conversations/${conversation.id}/messages`, { clientMsgId: 'j-0', text: 'Seen' });
    await post(eli, `/v1/conversations/${conversation.id}/read`, { seq: (await http(server.url, 'GET', `/v1/conversations/${conversation.id}`, { token: eli.token })).body.conversation.lastSeq });
    for (let index = 0; index < 40; index++) await post(dee, `/v1/conversations/${conversation.id}/messages`, { clientMsgId: `j-${index + 1}`, text: `Unread ${index + 1}` });

    const person = await openAs(browser, server, eli, { viewport: { width: 1000, height: 600 } });
    await openConversation(person.page, 'Catch up');
    await person.page.locator('[data-row="unread"]').waitFor();
    const jump = person.page.getByRole('button', { name: '40 new messages, jump to the latest' });
    await jump.waitFor();
    await jump.click();
    await jump.waitFor({ state: 'detached' });
    await eventually(async () => assert.ok(await person.page.evaluate(() => {
      const el = document.querySelector<HTMLElement>('.message-scroller')!;
      return el.scrollHeight - el.scrollTop - el.clientHeight < 48;
    })), 'at the end');
    assert.deepEqual(person.errors, []);
    await person.context.close();
  });
});
