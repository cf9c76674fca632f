import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { expectOk, http, type TestApp } from '../../server/test/support/test-app.ts';
import { browserSkipReason, eventually, newPerson, screenshot } from './support/browser.ts';
import { type BrowserSuite, startBrowserSuite } from './support/suite.ts';
import { conversationLink, createGroup, openConversation, send, signUp, startDirect, uniqueHandle, waitForMessages } from './support/chat.ts';

/**
 * Message and live features end to end (reactions, pins, forwarding, reports, read ticks,
 * typing, presence): two or three people, each a browser context of their own, on a real
 * server in this process, driven through the controls a person uses.
 */
const skip = browserSkipReason();
if (skip) console.log(`# ${skip}`);

/** A message bubble in the open conversation, by its text. */
function messageIn(page: Page, text: string): Locator {
  return page.locator('.messages .message:not(.pending)', { has: page.locator('.message-text', { hasText: text }) });
}

async function openMenu(page: Page, text: string): Promise<Locator> {
  const message = messageIn(page, text);
  await message.hover();
  await message.getByRole('button', { name: 'Message actions' }).click();
  return page.getByRole('menu', { name: 'Message actions' });
}

/** The reaction chip of an emoji under a message (its label says the count). */
function chip(page: Page, text: string, emoji: string): Locator {
  return messageIn(page, text).getByRole('list', { name: 'Reactions' }).getByRole('button', { name: new RegExp(`^${emoji} \\d+ reactions?$`, 'u') });
}

async function tickOf(page: Page, text: string): Promise<string | null> {
  return messageIn(page, text).locator('.ticks').getAttribute('aria-label');
}

/** The access token the page signed in with (to check what the server holds, as that person). */
async function tokenOf(page: Page): Promise<string> {
  const stored = await page.evaluate(() => localStorage.getItem('parley.session'));
  assert.ok(stored, 'a stored session');
  return (JSON.parse(stored) as { accessToken: string }).accessToken;
}

function conversationIdOf(page: Page): string {
  const match = /\/c\/([^/]+)$/u.exec(new URL(page.url()).pathname);
  assert.ok(match, `a conversation is open (${page.url()})`);
  return decodeURIComponent(match[1]!);
}

describe('web client message features in Chromium', { skip }, () => {
  let suite: BrowserSuite | undefined;
  let server: TestApp;
  let browser: Browser;

  before(async () => {
    suite = await startBrowserSuite();
    ({ server, browser } = suite);
  });

  after(() => suite?.close());

  it('direct chat: presence, read ticks, reactions both ways, typing, and last seen once the other leaves', async () => {
    const alice = await newPerson(browser, server.url);
    const bob = await newPerson(browser, server.url);
    const [aliceHandle, bobHandle] = [uniqueHandle('alice'), uniqueHandle('bob')];
    await Promise.all([signUp(alice.page, aliceHandle, 'Alice Archer'), signUp(bob.page, bobHandle, 'Bob Baker')]);

    await startDirect(alice.page, bobHandle, 'Bob Baker');
    await send(alice.page, 'Hi Bob, are you there?');

    // Presence: Bob is online, under the title and as a dot on his avatar in the list.
    const subtitle = alice.page.locator('.conversation-header .conversation-subtitle');
    await eventually(async () => assert.match((await subtitle.textContent()) ?? '', new RegExp(`@${bobHandle} · online$`, 'u')), 'Bob shown online');
    await conversationLink(alice.page, 'Bob Baker').locator('.presence-dot').waitFor();

    // Ticks: once Bob's client follows the conversation, a new message reaches it (delivered) before he opens it.
    await conversationLink(bob.page, 'Alice Archer').waitFor();
    await send(alice.page, 'Lunch at noon?');
    assert.ok(['Sent', 'Delivered'].includes((await tickOf(alice.page, 'Lunch at noon?')) ?? ''), 'sent or delivered, not read, before Bob opens it');
    await eventually(async () => assert.equal(await tickOf(alice.page, 'Lunch at noon?'), 'Delivered'), 'the message to be delivered to Bob’s device');
    await screenshot(alice.page, 'messages-ticks-delivered');

    await openConversation(bob.page, 'Alice Archer');
    await waitForMessages(bob.page, ['Hi Bob, are you there?', 'Lunch at noon?']);
    await eventually(async () => {
      assert.equal(await tickOf(alice.page, 'Lunch at noon?'), 'Read');
      assert.equal(await tickOf(alice.page, 'Hi Bob, are you there?'), 'Read');
    }, 'both messages read once Bob opened the conversation');
    assert.equal(await alice.page.getByRole('img', { name: 'Read' }).count(), 2);
    await screenshot(alice.page, 'messages-ticks-read');

    // Reactions: Alice reacts to Bob's message from the menu's picker; Bob sees it live.
    const bobText = 'Noon works, see you there';
    await send(bob.page, bobText);
    await waitForMessages(alice.page, ['Hi Bob, are you there?', 'Lunch at noon?', bobText]);
    // Alice has the conversation open: Bob's message is read at once.
    await eventually(async () => assert.equal(await tickOf(bob.page, bobText), 'Read'), 'Bob’s message read by Alice');
    const menu = await openMenu(alice.page, bobText);
    await menu.getByRole('menuitem', { name: 'React' }).click();
    const picker = alice.page.getByRole('toolbar', { name: 'Choose a reaction' });
    await picker.waitFor();
    assert.equal(await picker.getByRole('button', { name: /^React with / }).count(), 6, 'six quick reactions');
    await picker.getByRole('button', { name: 'More reactions' }).waitFor();
    await screenshot(alice.page, 'messages-reaction-picker');
    await picker.getByRole('button', { name: 'React with 👍' }).click();
    await picker.waitFor({ state: 'detached' });

    await chip(bob.page, bobText, '👍').waitFor();
    assert.equal(await chip(bob.page, bobText, '👍').getAttribute('aria-label'), '👍 1 reaction');
    assert.equal(await chip(bob.page, bobText, '👍').getAttribute('aria-pressed'), 'false', 'not Bob’s own reaction');
    await eventually(async () => assert.equal(await chip(alice.page, bobText, '👍').getAttribute('aria-pressed'), 'true'), 'Alice’s chip pressed');

    // Bob joins in with the chip: two, pressed for him.
    await chip(bob.page, bobText, '👍').click();
    await eventually(async () => {
      assert.equal(await chip(alice.page, bobText, '👍').getAttribute('aria-label'), '👍 2 reactions');
      assert.equal(await chip(bob.page, bobText, '👍').getAttribute('aria-pressed'), 'true');
    }, 'two reactions on both sides');
    await screenshot(bob.page, 'messages-reactions');

    // Toggling off: Alice's goes (one left), then Bob's (the chip is gone for both).
    await chip(alice.page, bobText, '👍').click();
    await eventually(async () => {
      assert.equal(await chip(bob.page, bobText, '👍').getAttribute('aria-label'), '👍 1 reaction');
      assert.equal(await chip(alice.page, bobText, '👍').getAttribute('aria-pressed'), 'false');
    }, 'Alice’s reaction removed');
    await chip(bob.page, bobText, '👍').click();
    await eventually(async () => {
      assert.equal(await messageIn(alice.page, bobText).locator('.reaction-chip').count(), 0);
      assert.equal(await messageIn(bob.page, bobText).locator('.reaction-chip').count(), 0);
    }, 'no chips left');

    // Keyboard: the picker from the menu, arrows and Enter.
    const keyboardMenu = await openMenu(bob.page, 'Lunch at noon?');
    await keyboardMenu.getByRole('menuitem', { name: 'React' }).focus();
    await bob.page.keyboard.press('Enter');
    await bob.page.getByRole('toolbar', { name: 'Choose a reaction' }).waitFor();
    await bob.page.keyboard.press('ArrowRight');
    await bob.page.keyboard.press('Enter');
    await chip(alice.page, 'Lunch at noon?', '❤️').waitFor();

    // Typing: Alice types, Bob sees it; it goes away on its own when she stops.
    const typing = bob.page.locator('.typing-indicator');
    const box = alice.page.getByRole('textbox', { name: 'Message', exact: true });
    await box.pressSequentially('Also, bring');
    await typing.getByText('Alice Archer is typing…').waitFor();
    await screenshot(bob.page, 'messages-typing');
    await typing.getByText('Alice Archer is typing…').waitFor({ state: 'detached', timeout: 12_000 });
    // And at once when she sends.
    await box.pressSequentially(' the umbrella');
    await typing.getByText('Alice Archer is typing…').waitFor();
    await box.press('Enter');
    await typing.getByText('Alice Archer is typing…').waitFor({ state: 'detached', timeout: 3_000 });
    await waitForMessages(bob.page, ['Hi Bob, are you there?', 'Lunch at noon?', bobText, 'Also, bring the umbrella']);

    // Presence: Bob leaves (his browser closes), Alice sees "last seen".
    assert.deepEqual([...alice.errors, ...bob.errors], [], 'no uncaught errors in the pages');
    await bob.context.close();
    await eventually(async () => assert.match((await subtitle.textContent()) ?? '', /· last seen just now$/u), 'Bob shown as last seen', 10_000);
    assert.equal(await conversationLink(alice.page, 'Bob Baker').locator('.presence-dot').count(), 0, 'no online dot any more');
    await screenshot(alice.page, 'messages-last-seen');
    assert.deepEqual(alice.errors, []);
    await alice.context.close();
  });

  it('group: the owner pins (live for members), a member forwards with attribution, protected content refuses, a report is accepted', async () => {
    const [owner, member, friend] = await Promise.all([newPerson(browser, server.url), newPerson(browser, server.url), newPerson(browser, server.url)]);
    const handles = { owner: uniqueHandle('olga'), member: uniqueHandle('sam'), friend: uniqueHandle('lee') };
    await Promise.all([signUp(owner.page, handles.owner, 'Olga Owner'), signUp(member.page, handles.member, 'Sam Member'), signUp(friend.page, handles.friend, 'Lee Friend')]);

    // Sam also has a direct chat with Lee: somewhere to forward to.
    await startDirect(member.page, handles.friend, 'Lee Friend');
    await send(member.page, 'Hi Lee');

    await createGroup(owner.page, 'Trip planning', [handles.member]);
    const groupId = conversationIdOf(owner.page);
    const plan = 'Train leaves at 9:15 from platform 4';
    await send(owner.page, plan);
    await send(owner.page, 'Bring snacks');
    await openConversation(member.page, 'Trip planning');
    await waitForMessages(member.page, [plan, 'Bring snacks']);

    // Only holders of pin_messages see Pin: the owner does, a member does not.
    let menu = await openMenu(member.page, plan);
    assert.equal(await menu.getByRole('menuitem', { name: 'Pin' }).count(), 0, 'a member cannot pin in a group');
    await member.page.keyboard.press('Escape');
    menu = await openMenu(owner.page, plan);
    await menu.getByRole('menuitem', { name: 'Pin' }).click();

    const memberBar = member.page.getByRole('region', { name: 'Pinned messages' });
    await memberBar.getByText(plan).waitFor();
    assert.equal(await memberBar.getByRole('button', { name: 'Unpin message' }).count(), 0, 'no unpin for a member');
    await owner.page.getByRole('region', { name: 'Pinned messages' }).getByRole('button', { name: 'Unpin message' }).waitFor();
    // The bar shows the message: it is highlighted and focused.
    await memberBar.getByRole('button', { name: /^Pinned message from Olga Owner: .*Show it\.$/u }).click();
    await eventually(async () => assert.equal(await messageIn(member.page, plan).evaluate((el) => el === document.activeElement), true), 'the pinned message focused');
    await screenshot(member.page, 'messages-pinned');

    // Forward: Sam forwards Olga's message to Lee; Lee sees who wrote it.
    menu = await openMenu(member.page, plan);
    await menu.getByRole('menuitem', { name: 'Forward…' }).click();
    let forward = member.page.getByRole('dialog', { name: 'Forward message' });
    await forward.getByRole('button', { name: 'Forward to Lee Friend' }).waitFor();
    assert.equal(await forward.getByRole('button', { name: 'Forward to Trip planning' }).count(), 0, 'not into the conversation it comes from');
    await screenshot(member.page, 'messages-forward-dialog');
    await forward.getByRole('button', { name: 'Forward to Lee Friend' }).click();
    await forward.waitFor({ state: 'detached' });
    await member.page.locator('.toast', { hasText: 'Forwarded to Lee Friend' }).waitFor();

    await openConversation(friend.page, 'Sam Member');
    await waitForMessages(friend.page, ['Hi Lee', plan]);
    await messageIn(friend.page, plan).locator('.forwarded-from', { hasText: 'Forwarded from Olga Owner' }).waitFor();
    await screenshot(friend.page, 'messages-forwarded');

    // Protected content: with the dialog open, the owner protects the group; the server refuses and says why.
    menu = await openMenu(member.page, 'Bring snacks');
    await menu.getByRole('menuitem', { name: 'Forward…' }).click();
    forward = member.page.getByRole('dialog', { name: 'Forward message' });
    await forward.getByRole('button', { name: 'Forward to Lee Friend' }).waitFor();
    expectOk(await http(server.url, 'PATCH', `/v1/conversations/${groupId}`, { token: await tokenOf(owner.page), body: { settings: { protectedContent: true } } }), 'protect the group');
    await forward.getByRole('button', { name: 'Forward to Lee Friend' }).click();
    await forward.getByRole('alert').getByText('Messages in this conversation cannot be forwarded.').waitFor();
    await screenshot(member.page, 'messages-forward-refused');
    await forward.getByRole('button', { name: 'Close' }).click();
    await forward.waitFor({ state: 'detached' });
    menu = await openMenu(member.page, 'Bring snacks');
    await menu.getByRole('menuitem', { name: 'Report…' }).waitFor();
    assert.equal(await menu.getByRole('menuitem', { name: 'Forward…' }).count(), 0, 'no Forward in a protected conversation');

    // Report: Sam reports Olga's message with a reason; the owner (a moderator) sees it.
    await menu.getByRole('menuitem', { name: 'Report…' }).click();
    const report = member.page.getByRole('dialog', { name: 'Report message' });
    await report.getByRole('radio', { name: 'Spam' }).check();
    await report.getByLabel('Details (optional)').fill('Looks like an ad');
    await screenshot(member.page, 'messages-report');
    await report.getByRole('button', { name: 'Send report' }).click();
    await report.waitFor({ state: 'detached' });
    await member.page.locator('.toast', { hasText: 'Report sent' }).waitFor();
    const snacksId = await messageIn(member.page, 'Bring snacks').getAttribute('data-message-id');
    const { reports } = expectOk(await http(server.url, 'GET', `/v1/conversations/${groupId}/reports`, { token: await tokenOf(owner.page) }), 'reports');
    assert.deepEqual(
      reports.map((entry: { targetType: string; targetId: string; reason: string; comment: string | null }) => [entry.targetType, entry.targetId, entry.reason, entry.comment]),
      [['message', snacksId, 'spam', 'Looks like an ad']],
    );
    // No reporting your own messages.
    menu = await openMenu(owner.page, plan);
    assert.equal(await menu.getByRole('menuitem', { name: 'Report…' }).count(), 0);

    // The owner unpins from the bar; the member's bar goes live.
    await owner.page.keyboard.press('Escape');
    await owner.page.getByRole('region', { name: 'Pinned messages' }).getByRole('button', { name: 'Unpin message' }).click();
    await memberBar.waitFor({ state: 'detached' });

    assert.deepEqual([...owner.errors, ...member.errors, ...friend.errors], [], 'no uncaught errors in the pages');
    await Promise.all([owner.context.close(), member.context.close(), friend.context.close()]);
  });

  it('group read ticks: "Read" only once every other member has read, also after a reload', async () => {
    const [owner, first, second] = await Promise.all([newPerson(browser, server.url), newPerson(browser, server.url), newPerson(browser, server.url)]);
    const handles = { owner: uniqueHandle('olga'), first: uniqueHandle('fay'), second: uniqueHandle('gus') };
    await Promise.all([signUp(owner.page, handles.owner, 'Olga Owner'), signUp(first.page, handles.first, 'Fay First'), signUp(second.page, handles.second, 'Gus Second')]);
    await createGroup(owner.page, 'Book club', [handles.first, handles.second]);
    await Promise.all([conversationLink(first.page, 'Book club').waitFor(), conversationLink(second.page, 'Book club').waitFor()]);
    const text = 'Chapter 3 by Friday';
    await send(owner.page, text);
    await eventually(async () => assert.equal(await tickOf(owner.page, text), 'Delivered'), 'delivered to both members’ devices');

    // After a reload the page reads the members' pointers from the message's receipts: still delivered to both.
    await owner.page.reload();
    await owner.page.getByRole('heading', { name: 'Book club', level: 2 }).waitFor();
    await waitForMessages(owner.page, [text]);
    await eventually(async () => assert.equal(await tickOf(owner.page, text), 'Delivered'), 'delivered to both after a reload');
    await openConversation(first.page, 'Book club');
    await waitForMessages(first.page, [text]);
    // Fay answers after reading: once her answer is on Olga's page, so is her read pointer.
    await send(first.page, 'On it');
    await waitForMessages(owner.page, [text, 'On it']);
    assert.notEqual(await tickOf(owner.page, text), 'Read', 'one of two members read it');

    await openConversation(second.page, 'Book club');
    await waitForMessages(second.page, [text, 'On it']);
    await eventually(async () => assert.equal(await tickOf(owner.page, text), 'Read'), 'read by both members');
    await screenshot(owner.page, 'messages-group-ticks-read');

    assert.deepEqual([...owner.errors, ...first.errors, ...second.errors], [], 'no uncaught errors in the pages');
    await Promise.all([owner.context.close(), first.context.close(), second.context.close()]);
  });
});
