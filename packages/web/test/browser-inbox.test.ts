import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Locator, Page } from 'playwright-core';
import { createUser, expectOk, http, type TestApp, type TestUser } from '../../server/test/support/test-app.ts';
import { browserSkipReason, eventually, screenshot } from './support/browser.ts';
import { type BrowserSuite, startBrowserSuite } from './support/suite.ts';
import { conversationLink, openAs, openConversation, shownMessages, uniqueHandle, unreadBadge, waitForMessages } from './support/chat.ts';

/**
 * Issue 20 item 6 in the web client: your own view of your conversations — pin, archive,
 * mark unread/read, delete a message for you, clear a history for you — and that a second
 * browser signed in as the SAME person follows every change (user-log events).
 */
const skip = browserSkipReason();
if (skip) console.log(`# ${skip}`);

async function axeSerious(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.target.join(' ')).slice(0, 3).join(', ')}`);
}

function listTitles(page: Page): Promise<string[]> {
  return page.getByRole('navigation', { name: 'Conversation list' }).locator('.conversation-title').allTextContents();
}

function messageIn(page: Page, text: string): Locator {
  return page.locator('.messages .message:not(.pending)', { has: page.locator('.message-text', { hasText: text }) });
}

/** Opens a row's "…" menu from the keyboard (focus, Enter) and picks an item with the arrow keys and Enter. */
async function rowAction(page: Page, title: string, item: string): Promise<void> {
  const button = page.getByRole('button', { name: `Actions for ${title}` });
  await button.focus();
  await page.keyboard.press('Enter');
  const menu = page.getByRole('menu', { name: 'Conversation actions' });
  const names = await menu.getByRole('menuitem').allTextContents();
  const index = names.indexOf(item);
  assert.ok(index >= 0, `"${item}" in the menu (${names.join(', ')})`);
  for (let i = 0; i < index; i++) await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), item);
  await page.keyboard.press('Enter');
  await menu.waitFor({ state: 'detached' });
}

describe('web client: pin, archive, mark unread, delete for me, clear history (issue 20 item 6) in Chromium', { skip }, () => {
  let suite: BrowserSuite | undefined;
  let server: TestApp;
  let browser: Browser;
  const post = async (user: TestUser, path: string, body: unknown = {}) => expectOk(await http(server.url, 'POST', path, { token: user.token, body }), `POST ${path}`);

  before(async () => {
    suite = await startBrowserSuite();
    ({ server, browser } = suite);
  });

  after(() => suite?.close());

  it('every action from the list, the message menu and the details shows at once and on a second browser of the same person', async () => {
    const [ada, ben] = await Promise.all([createUser(server.url, uniqueHandle('ada')), createUser(server.url, uniqueHandle('ben'))]);
    const { conversation: older } = await post(ben, '/v1/conversations', { kind: 'group', title: 'Garden club', memberIds: [ada.user.id] });
    await post(ben, `/v1/conversations/${older.id}/messages`, { clientMsgId: 'g-1', text: 'Seeds arrive Monday' });
    const { conversation: newer } = await post(ben, '/v1/conversations', { kind: 'group', title: 'Book club', memberIds: [ada.user.id] });
    const path = `/v1/conversations/${newer.id}/messages`;
    for (const [index, text] of ['First chapter', 'Second chapter', 'Third chapter'].entries()) await post(ben, path, { clientMsgId: `b-${index}`, text });

    const one = await openAs(browser, server, ada);
    const two = await openAs(browser, server, ada);
    const both = async (what: string, check: (page: Page) => Promise<void>) => {
      for (const [index, person] of [one, two].entries()) await eventually(() => check(person.page), `${what} (browser ${index + 1})`);
    };
    await both('most recent first', async (page) => assert.deepEqual(await listTitles(page), ['Book club', 'Garden club']));

    // Pin (from the keyboard): first in the list, marked, on both.
    await rowAction(one.page, 'Garden club', 'Pin');
    await both('pinned first', async (page) => {
      assert.deepEqual(await listTitles(page), ['Garden club', 'Book club']);
      assert.equal(await conversationLink(page, 'Garden club').getByRole('img', { name: 'Pinned' }).count(), 1);
    });
    await one.page.getByRole('button', { name: 'Actions for Garden club' }).click();
    assert.deepEqual(await axeSerious(one.page), [], 'no serious or critical violations with the row menu open');
    await screenshot(one.page, 'conversation-row-menu');
    await one.page.keyboard.press('Escape');
    await rowAction(two.page, 'Garden club', 'Unpin');
    await both('unpinned', async (page) => {
      assert.deepEqual(await listTitles(page), ['Book club', 'Garden club']);
      assert.equal(await conversationLink(page, 'Garden club').getByRole('img', { name: 'Pinned' }).count(), 0);
    });

    // Archive: out of the main list, behind "Archived (1)", and back.
    await rowAction(one.page, 'Garden club', 'Archive');
    await both('archived', async (page) => {
      assert.deepEqual(await listTitles(page), ['Book club']);
      assert.equal(await page.getByRole('button', { name: 'Archived (1)' }).count(), 1);
    });
    await two.page.getByRole('button', { name: 'Archived (1)' }).click();
    await eventually(async () => assert.deepEqual(await listTitles(two.page), ['Garden club']), 'the archived list');
    await rowAction(two.page, 'Garden club', 'Unarchive');
    await two.page.getByRole('button', { name: /Back to chats/u }).click();
    await both('unarchived', async (page) => {
      assert.deepEqual(await listTitles(page), ['Book club', 'Garden club']);
      assert.equal(await page.getByRole('button', { name: /^Archived/u }).count(), 0);
    });

    // Mark read and unread: the badge, then the mark, follow on both.
    await both('unread at first', async (page) => assert.equal(await unreadBadge(page, 'Garden club'), '1'));
    await rowAction(one.page, 'Garden club', 'Mark as read');
    await both('read', async (page) => assert.equal(await unreadBadge(page, 'Garden club'), null));
    await rowAction(two.page, 'Garden club', 'Mark as unread');
    await both('marked unread', async (page) => assert.equal(await conversationLink(page, 'Garden club').getByRole('img', { name: 'Marked unread' }).count(), 1));
    // Opening it takes the mark off, everywhere.
    await openConversation(one.page, 'Garden club');
    await both('mark gone after opening', async (page) => assert.equal(await conversationLink(page, 'Garden club').getByRole('img', { name: 'Marked unread' }).count(), 0));

    // Delete for me: gone on both of my browsers, kept for Ben.
    await openConversation(one.page, 'Book club');
    await openConversation(two.page, 'Book club');
    await waitForMessages(one.page, ['First chapter', 'Second chapter', 'Third chapter']);
    await waitForMessages(two.page, ['First chapter', 'Second chapter', 'Third chapter']);
    const second = messageIn(one.page, 'Second chapter');
    await second.hover();
    await second.getByRole('button', { name: 'Message actions' }).click();
    await one.page.getByRole('menu', { name: 'Message actions' }).getByRole('menuitem', { name: 'Delete for me' }).click();
    await waitForMessages(one.page, ['First chapter', 'Third chapter'], 'the message gone here');
    await waitForMessages(two.page, ['First chapter', 'Third chapter'], 'the message gone on the other browser');
    const forBen = await expectOk(await http(server.url, 'GET', path, { token: ben.token }), 'Ben reads');
    assert.deepEqual((forBen.messages as { text: string }[]).map((message) => message.text).sort(), ['First chapter', 'Second chapter', 'Third chapter']);

    // Clear history (details, confirmed): empty on both, Ben keeps everything, new messages still arrive.
    await two.page.getByRole('button', { name: 'Members and settings' }).click();
    await two.page.getByRole('complementary', { name: 'Conversation details' }).getByRole('button', { name: 'Clear history' }).click();
    const confirm = two.page.getByRole('dialog', { name: 'Clear history for you?' });
    assert.deepEqual(await axeSerious(two.page), [], 'no serious or critical violations in the confirmation');
    await confirm.getByRole('button', { name: 'Clear history' }).click();
    await waitForMessages(two.page, [], 'history cleared here');
    await waitForMessages(one.page, [], 'history cleared on the other browser');
    const forBenAfter = await expectOk(await http(server.url, 'GET', path, { token: ben.token }), 'Ben reads again');
    assert.equal((forBenAfter.messages as unknown[]).length, 3);
    await post(ben, path, { clientMsgId: 'b-after', text: 'Fourth chapter' });
    await waitForMessages(one.page, ['Fourth chapter'], 'a new message after clearing');
    assert.deepEqual(await shownMessages(two.page).then((texts) => texts.filter((text) => text !== 'Fourth chapter')), []);

    assert.deepEqual(one.errors, []);
    assert.deepEqual(two.errors, []);
    await one.context.close();
    await two.context.close();
  });
});
