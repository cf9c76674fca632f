import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Page } from 'playwright-core';
import { createUser, expectOk, http, signIn as signInDevice, type TestApp, type TestUser } from '../../server/test/support/test-app.ts';
import { browserSkipReason, eventually, newPerson, screenshot } from './support/browser.ts';
import { type BrowserSuite, startBrowserSuite } from './support/suite.ts';
import { conversationLink, createGroup, openConversation, send, shownMessages, signIn, signUp, startDirect, uniqueHandle, unreadBadge, waitForMessages } from './support/chat.ts';

/**
 * The web client end to end: a real server in this process serving the built client,
 * driven in Debian's Chromium (headless) through the controls a person uses. Each person
 * is a browser context of their own (separate storage, separate sockets).
 */
const skip = browserSkipReason();
if (skip) console.log(`# ${skip}`);

describe('web client in Chromium', { skip }, () => {
  let suite: BrowserSuite | undefined;
  let server: TestApp;
  let browser: Browser;

  before(async () => {
    suite = await startBrowserSuite();
    ({ server, browser } = suite);
  });

  after(() => suite?.close());

  it('two people sign up, start a direct conversation, chat both ways live, and read state follows', async () => {
    const alice = await newPerson(browser, server.url);
    const bob = await newPerson(browser, server.url);
    const [aliceHandle, bobHandle] = [uniqueHandle('alice'), uniqueHandle('bob')];
    await Promise.all([signUp(alice.page, aliceHandle, 'Alice Archer'), signUp(bob.page, bobHandle, 'Bob Baker')]);
    await bob.page.getByText('No conversations yet').waitFor();

    await startDirect(alice.page, bobHandle, 'Bob Baker');
    // Typing can start at once: the composer has focus, not the "New chat" button that opened the dialog.
    const aliceComposer = alice.page.getByRole('textbox', { name: 'Message', exact: true });
    await eventually(async () => assert.equal(await aliceComposer.evaluate((element) => element === document.activeElement), true), 'the composer to have focus');
    await send(alice.page, 'Hi Bob! Trying Parley in the browser.');

    // Bob has nothing open: the conversation arrives live, with one unread message.
    await eventually(async () => assert.equal(await unreadBadge(bob.page, 'Alice Archer'), '1'), 'the unread badge on Bob’s side');
    assert.match((await conversationLink(bob.page, 'Alice Archer').textContent()) ?? '', /Trying Parley in the browser/);

    // Opening it reads it: the badge clears, and stays cleared after a reload (the server has the read pointer).
    await openConversation(bob.page, 'Alice Archer');
    await bob.page.locator('[data-row="unread"]').waitFor();
    await waitForMessages(bob.page, ['Hi Bob! Trying Parley in the browser.']);
    await eventually(async () => assert.equal(await unreadBadge(bob.page, 'Alice Archer'), null), 'the badge to clear once read');

    // Both ways, live; Shift+Enter makes a new line instead of sending.
    await send(bob.page, 'Hello Alice, got it live.');
    await waitForMessages(alice.page, ['Hi Bob! Trying Parley in the browser.', 'Hello Alice, got it live.'], 'Bob’s reply on Alice’s side');
    await eventually(async () => assert.equal(await unreadBadge(alice.page, 'Bob Baker'), null), 'Alice has the conversation open, so it is read at once');
    const box = alice.page.getByRole('textbox', { name: 'Message', exact: true });
    // Over the length limit the composer says by how much, and will not send.
    await box.fill('x'.repeat(4_000 + 1_234));
    await alice.page.getByText('1,234 over the limit').waitFor();
    assert.equal(await alice.page.getByRole('button', { name: 'Send' }).isDisabled(), true);
    await box.fill('First line');
    await box.press('Shift+Enter');
    await box.pressSequentially('second line');
    assert.equal(await box.inputValue(), 'First line\nsecond line');
    await box.press('Enter');
    await waitForMessages(bob.page, ['Hi Bob! Trying Parley in the browser.', 'Hello Alice, got it live.', 'First line\nsecond line'], 'the two-line message');

    // Reply, edit and delete, seen live on the other side.
    const bobsMessage = alice.page.locator('.message', { hasText: 'Hello Alice, got it live.' });
    await bobsMessage.hover();
    await bobsMessage.getByRole('button', { name: 'Message actions' }).click();
    assert.equal(await alice.page.getByRole('menuitem', { name: 'Delete', exact: true }).count(), 0, 'no Delete on someone else’s message in a direct chat');
    await alice.page.getByRole('menuitem', { name: 'Reply' }).click();
    await alice.page.getByText('Replying to Bob Baker').waitFor();
    await send(alice.page, 'Replying to you');
    await bob.page.locator('.message', { hasText: 'Replying to you' }).locator('.reply-quote', { hasText: 'Hello Alice, got it live.' }).waitFor();
    await screenshot(alice.page, 'direct-chat-desktop');

    const own = alice.page.locator('.message', { hasText: 'First line' });
    await own.hover();
    await own.getByRole('button', { name: 'Message actions' }).click();
    await alice.page.getByRole('menuitem', { name: 'Edit' }).click();
    const editBox = alice.page.getByRole('textbox', { name: 'Edit message' });
    await editBox.fill('First line, edited');
    await editBox.press('Enter');
    await bob.page.locator('.message', { hasText: 'First line, edited' }).getByText('edited', { exact: true }).waitFor();

    const reply = alice.page.locator('.message', { hasText: 'Replying to you' }).last();
    await reply.hover();
    await reply.getByRole('button', { name: 'Message actions' }).click();
    await alice.page.getByRole('menuitem', { name: 'Delete', exact: true }).click();
    await alice.page.getByRole('dialog', { name: 'Delete message?' }).getByRole('button', { name: 'Delete' }).click();
    await waitForMessages(bob.page, ['Hi Bob! Trying Parley in the browser.', 'Hello Alice, got it live.', 'First line, edited', 'Message deleted'], 'the deletion on Bob’s side');

    // The session survives a reload.
    await alice.page.reload();
    await alice.page.getByRole('heading', { name: 'Bob Baker', level: 2 }).waitFor();
    await waitForMessages(alice.page, ['Hi Bob! Trying Parley in the browser.', 'Hello Alice, got it live.', 'First line, edited', 'Message deleted'], 'history after a reload');

    await bob.page.setViewportSize({ width: 375, height: 740 });
    await screenshot(bob.page, 'direct-chat-phone');
    await bob.page.getByRole('button', { name: 'Back to conversations' }).click();
    await conversationLink(bob.page, 'Alice Archer').waitFor();
    await screenshot(bob.page, 'conversation-list-phone');

    // Signing out ends the session; signing in again brings everything back.
    await bob.page.getByRole('button', { name: 'Settings and profile' }).click();
    await bob.page.getByRole('dialog', { name: 'Settings' }).getByRole('button', { name: 'Sign out' }).click();
    await bob.page.getByRole('button', { name: 'Sign in', exact: true }).first().waitFor();
    assert.equal(await bob.page.evaluate(() => localStorage.getItem('parley.session')), null, 'no tokens left behind');
    await signIn(bob.page, bobHandle);
    await conversationLink(bob.page, 'Alice Archer').waitFor();

    // Settings: a new display name shows at once.
    await alice.page.getByRole('button', { name: 'Settings and profile' }).click();
    const settings = alice.page.getByRole('dialog', { name: 'Settings' });
    await settings.getByLabel('Display name').fill('Alice A.');
    await settings.getByRole('button', { name: 'Save' }).click();
    await settings.getByText('Saved.').waitFor();
    await settings.getByRole('button', { name: 'Close' }).click();
    await alice.page.locator('.me-name', { hasText: 'Alice A.' }).waitFor();

    assert.deepEqual([...alice.errors, ...bob.errors], [], 'no uncaught errors in the pages');
    await Promise.all([alice.context.close(), bob.context.close()]);
  });

  it('a group of three: the owner removes one member, who sees it, and the others’ member lists follow', async () => {
    const [owner, stays, leaves] = await Promise.all([newPerson(browser, server.url), newPerson(browser, server.url), newPerson(browser, server.url)]);
    const handles = { owner: uniqueHandle('olga'), stays: uniqueHandle('sam'), leaves: uniqueHandle('lee') };
    await Promise.all([signUp(owner.page, handles.owner, 'Olga Owner'), signUp(stays.page, handles.stays, 'Sam Stays'), signUp(leaves.page, handles.leaves, 'Lee Leaves')]);

    await createGroup(owner.page, 'Weekend plans', [handles.stays, handles.leaves]);
    await send(owner.page, 'Hiking on Saturday?');
    await Promise.all([openConversation(stays.page, 'Weekend plans'), openConversation(leaves.page, 'Weekend plans')]);
    await waitForMessages(leaves.page, ['Hiking on Saturday?']);
    await send(leaves.page, 'Count me in');
    await waitForMessages(stays.page, ['Hiking on Saturday?', 'Count me in']);
    await send(stays.page, 'Me too! Trail map: https://example.com/trails/ridge-loop');
    const map = owner.page.locator('.message', { hasText: 'Trail map' });
    await map.hover();
    await map.getByRole('button', { name: 'Message actions' }).click();
    await owner.page.getByRole('menuitem', { name: 'Reply' }).click();
    await send(owner.page, 'Perfect, thanks Sam. Meet at 8 at the car park?');
    const history = ['Hiking on Saturday?', 'Count me in', 'Me too! Trail map: https://example.com/trails/ridge-loop', 'Perfect, thanks Sam. Meet at 8 at the car park?'];
    await Promise.all([waitForMessages(stays.page, history), waitForMessages(leaves.page, history)]);

    // Members panels: roles shown; only the owner can remove.
    await stays.page.getByRole('button', { name: 'Members and settings' }).click();
    const staysMembers = stays.page.getByRole('complementary', { name: 'Conversation details' }).locator('.member');
    await eventually(async () => assert.equal(await staysMembers.count(), 3), 'three members on Sam’s side');
    assert.match((await staysMembers.filter({ hasText: 'Olga Owner' }).textContent()) ?? '', /Owner/);
    assert.equal(await stays.page.getByRole('button', { name: /^Remove / }).count(), 0, 'a member cannot remove anyone');

    await owner.page.getByRole('button', { name: 'Members and settings' }).click();
    await owner.page.getByRole('button', { name: 'Remove Lee Leaves' }).click();
    await owner.page.getByRole('dialog', { name: 'Remove member?' }).getByRole('button', { name: 'Remove' }).click();

    // The removed member is told, and the group leaves their list.
    await leaves.page.getByText('You were removed from Weekend plans.').waitFor();
    await eventually(async () => assert.equal(await conversationLink(leaves.page, 'Weekend plans').count(), 0), 'the group to leave Lee’s list');
    // The others' member lists update live.
    await eventually(async () => assert.equal(await staysMembers.count(), 2), 'two members on Sam’s side');
    assert.equal(await staysMembers.filter({ hasText: 'Lee Leaves' }).count(), 0);
    const ownerMembers = owner.page.getByRole('complementary', { name: 'Conversation details' }).locator('.member');
    await eventually(async () => assert.equal(await ownerMembers.count(), 2), 'two members on Olga’s side');
    await stays.page.getByText('2 members').waitFor();

    await send(owner.page, 'See you there, Sam');
    await waitForMessages(stays.page, [...history, 'See you there, Sam']);
    await screenshot(owner.page, 'group-members-desktop');
    await screenshot(leaves.page, 'group-removed');

    // The owner renames it (live for the others); a member leaves (live for the owner).
    const details = owner.page.getByRole('complementary', { name: 'Conversation details' });
    await details.getByLabel('Title').fill('Saturday hike');
    await details.getByRole('button', { name: 'Rename' }).click();
    await stays.page.getByRole('heading', { name: 'Saturday hike', level: 2 }).waitFor();
    await stays.page.getByRole('complementary', { name: 'Conversation details' }).getByRole('button', { name: 'Leave group' }).click();
    await stays.page.getByRole('dialog', { name: 'Leave Saturday hike?' }).getByRole('button', { name: 'Leave' }).click();
    await eventually(async () => assert.equal(await conversationLink(stays.page, 'Saturday hike').count(), 0), 'the group to leave Sam’s list');
    await eventually(async () => assert.equal(await ownerMembers.count(), 1), 'one member left on Olga’s side');
    assert.deepEqual([...owner.errors, ...stays.errors, ...leaves.errors], []);
    await Promise.all([owner.context.close(), stays.context.close(), leaves.context.close()]);
  });

  it('offline and back: every message sent meanwhile shows exactly once, in order, and an offline send goes out once', async (t) => {
    const sender = await newPerson(browser, server.url);
    const reader = await newPerson(browser, server.url);
    const [senderHandle, readerHandle] = [uniqueHandle('sid'), uniqueHandle('rae')];
    await Promise.all([signUp(sender.page, senderHandle, 'Sid Sender'), signUp(reader.page, readerHandle, 'Rae Reader')]);
    await startDirect(reader.page, senderHandle, 'Sid Sender');
    await send(reader.page, 'Before going offline');
    await openConversation(sender.page, 'Rae Reader');
    await waitForMessages(sender.page, ['Before going offline']);

    // Offline emulation makes every new request and connection fail, but neither closes the
    // open WebSocket nor lets the page close it (the closing handshake waits for the network):
    // the page would only notice at its next heartbeat. So the socket is also lost the way a
    // real network loss reports it (close 1006), which is what the app must recover from.
    await reader.context.setOffline(true);
    const openAfterOffline = await reader.page.evaluate(() => (window as unknown as { __sockets: WebSocket[] }).__sockets.filter((socket) => socket.readyState === WebSocket.OPEN).length);
    t.diagnostic(`open WebSockets right after setOffline(true): ${openAfterOffline}`);
    assert.equal(await reader.page.evaluate(() => (window as unknown as { __loseNetwork: () => number }).__loseNetwork()), 1, 'one live socket lost');
    await reader.page.locator('.connection-banner', { hasText: 'offline' }).waitFor();
    // The client keeps trying, and fails, while offline.
    await eventually(async () => assert.ok((await reader.page.evaluate(() => (window as unknown as { __sockets: WebSocket[] }).__sockets.length)) >= 2), 'a reconnect attempt while offline');

    // Meanwhile: five messages from the other side, and one typed while offline.
    const sent = ['one', 'two', 'three', 'four', 'five'].map((word) => `While you were away: ${word}`);
    for (const text of sent) await send(sender.page, text);
    const box = reader.page.getByRole('textbox', { name: 'Message', exact: true });
    await box.fill('Typed while offline');
    await box.press('Enter');
    await reader.page.locator('.message.pending', { hasText: 'Typed while offline' }).getByText('Sending…').waitFor();
    assert.deepEqual(await shownMessages(reader.page), ['Before going offline'], 'nothing arrives while offline');
    await screenshot(reader.page, 'offline');

    await reader.context.setOffline(false);
    await reader.page.locator('.connection-banner', { hasText: 'caught up' }).waitFor({ timeout: 15_000 });
    // Exactly once each, in order: the list is compared whole, so a doubled or missing message fails.
    const expected = ['Before going offline', ...sent, 'Typed while offline'];
    await waitForMessages(reader.page, expected, 'every message once, in order, on the reader’s side', 15_000);
    await waitForMessages(sender.page, expected, 'the offline send, once, on the sender’s side', 15_000);
    const seqs = await reader.page.locator('.messages .message[data-seq]').evaluateAll((items) => items.map((item) => Number((item as HTMLElement).dataset.seq)));
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'shown in seq order');
    assert.equal(new Set(seqs).size, seqs.length, 'no seq shown twice');
    assert.deepEqual([...sender.errors, ...reader.errors], []);
    await Promise.all([sender.context.close(), reader.context.close()]);
  });

  it('history loads older pages as the reader scrolls up without moving what is on screen, and the list follows activity', async () => {
    const [ada, ben, cy] = await Promise.all([createUser(server.url, uniqueHandle('ada')), createUser(server.url, uniqueHandle('ben')), createUser(server.url, uniqueHandle('cy'))]);
    const post = async (user: TestUser, path: string, body: unknown) => expectOk(await http(server.url, 'POST', path, { token: user.token, body }), path);
    const { conversation } = await post(ada, '/v1/conversations', { kind: 'direct', userId: ben.user.id });
    const texts = Array.from({ length: 130 }, (_, index) => `History message ${index + 1}`);
    for (const [index, text] of texts.entries()) await post(index % 3 === 0 ? ben : ada, `/v1/conversations/${conversation.id}/messages`, { clientMsgId: `history-${index}`, text });
    const { conversation: newer } = await post(cy, '/v1/conversations', { kind: 'direct', userId: ben.user.id });
    await post(cy, `/v1/conversations/${newer.id}/messages`, { clientMsgId: 'newer', text: 'A newer conversation' });

    // Ben has read it all (this is about paging, not the divider), on another device.
    const lastSeq = (await http(server.url, 'GET', `/v1/conversations/${conversation.id}`, { token: ben.token })).body.conversation.lastSeq;
    await post(ben, `/v1/conversations/${conversation.id}/read`, { seq: lastSeq });
    // Ben's browser starts from a stored session, as after a reload.
    const session = await signInDevice(server.url, ben.user.id);
    const reader = await newPerson(browser, server.url, { width: 1000, height: 700 });
    await reader.context.addInitScript((stored) => localStorage.setItem('parley.session', stored), JSON.stringify({ userId: session.user.id, accessToken: session.token, refreshToken: session.refreshToken, sessionId: session.sessionId }));
    await reader.page.goto('/');
    const titles = () => reader.page.locator('.conversation-item .conversation-title').allTextContents();
    await eventually(async () => assert.deepEqual(await titles(), [cy.user.displayName, ada.user.displayName]), 'most recent first');
    await post(ada, `/v1/conversations/${conversation.id}/messages`, { clientMsgId: 'on-top', text: 'Back on top' });
    await eventually(async () => assert.deepEqual(await titles(), [ada.user.displayName, cy.user.displayName]), 'the list to reorder live');

    await openConversation(reader.page, ada.user.displayName);
    const all = [...texts, 'Back on top'];
    await waitForMessages(reader.page, all.slice(-50), 'the latest page');
    // Scroll to the top: the message that was first must not move while older ones load above it.
    const before = await reader.page.evaluate(() => {
      const scroller = document.querySelector<HTMLElement>('.message-scroller')!;
      scroller.scrollTop = 0;
      const first = scroller.querySelector<HTMLElement>('[data-message-id]')!;
      return { id: first.dataset.messageId!, top: first.getBoundingClientRect().top };
    });
    await eventually(async () => assert.ok((await shownMessages(reader.page)).length > 50), 'an older page');
    const after = await reader.page.evaluate((id) => document.querySelector<HTMLElement>(`[data-message-id="${id}"]`)!.getBoundingClientRect().top, before.id);
    assert.ok(Math.abs(after - before.top) <= 1, `the first message stayed in place (${before.top}px, then ${after}px)`);

    // All the way up: every message once, in order, and the start of the conversation.
    await eventually(async () => {
      await reader.page.evaluate(() => (document.querySelector<HTMLElement>('.message-scroller')!.scrollTop = 0));
      await reader.page.getByText('This is the beginning of the conversation.').waitFor({ timeout: 500 });
    }, 'the beginning of the conversation');
    await waitForMessages(reader.page, all, 'the whole history');
    assert.deepEqual(reader.errors, []);
    await reader.context.close();
  });

  it('a conversation with more unread messages than two pages opens at the first unread, not on "Loading messages…"', async () => {
    const [dee, eli] = await Promise.all([createUser(server.url, uniqueHandle('dee')), createUser(server.url, uniqueHandle('eli'))]);
    const post = async (user: TestUser, path: string, body: unknown) => expectOk(await http(server.url, 'POST', path, { token: user.token, body }), path);
    const { conversation } = await post(dee, '/v1/conversations', { kind: 'group', title: 'Busy group', memberIds: [eli.user.id] });
    await post(eli, `/v1/conversations/${conversation.id}/messages`, { clientMsgId: 'read-before', text: 'Already read' });
    const readSeq = (await http(server.url, 'GET', `/v1/conversations/${conversation.id}`, { token: eli.token })).body.conversation.lastSeq;
    await post(eli, `/v1/conversations/${conversation.id}/read`, { seq: readSeq });
    // 110 unread: the first page holds 50, so the divider needs two more pages loaded before it can be placed.
    const texts = Array.from({ length: 110 }, (_, index) => `Unread ${index + 1}`);
    for (const [index, text] of texts.entries()) await post(dee, `/v1/conversations/${conversation.id}/messages`, { clientMsgId: `unread-${index}`, text });

    const session = await signInDevice(server.url, eli.user.id);
    const reader = await newPerson(browser, server.url);
    await reader.context.addInitScript((stored) => localStorage.setItem('parley.session', stored), JSON.stringify({ userId: session.user.id, accessToken: session.token, refreshToken: session.refreshToken, sessionId: session.sessionId }));
    await reader.page.goto('/');
    await eventually(async () => assert.equal(await unreadBadge(reader.page, 'Busy group'), '99+'), 'the unread count (capped on the badge)');
    await openConversation(reader.page, 'Busy group');
    await reader.page.locator('[data-row="unread"]').waitFor();
    await eventually(async () => assert.deepEqual((await shownMessages(reader.page)).slice(-111), ['Already read', ...texts]), 'every unread message below the one already read');
    assert.equal(await reader.page.getByText('Loading messages…').count(), 0);
    assert.deepEqual(reader.errors, []);
    await reader.context.close();
  });

  it('the sign-in screen and a conversation have no serious or critical accessibility violations (axe-core, WCAG 2.1 AA)', async () => {
    const serious = async (page: Page) => {
      const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
      return results.violations
        .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
        .map((violation) => `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(' ')).slice(0, 3).join(', ')})`);
    };
    const ada = await newPerson(browser, server.url);
    const ben = await newPerson(browser, server.url);
    await ada.page.goto('/');
    await ada.page.getByLabel('Handle').waitFor();
    assert.deepEqual(await serious(ada.page), [], 'the sign-in screen');
    const [adaHandle, benHandle] = [uniqueHandle('axa'), uniqueHandle('axb')];
    await Promise.all([signUp(ada.page, adaHandle, 'Ada Axe'), signUp(ben.page, benHandle, 'Ben Axe')]);
    await startDirect(ada.page, benHandle, 'Ben Axe');
    await send(ada.page, 'Checking contrast and labels');
    await openConversation(ben.page, 'Ada Axe');
    await waitForMessages(ben.page, ['Checking contrast and labels']);
    await send(ben.page, 'A reply, with a read tick on the other side');
    await waitForMessages(ada.page, ['Checking contrast and labels', 'A reply, with a read tick on the other side']);
    assert.deepEqual(await serious(ada.page), [], 'a direct conversation');
    await Promise.all([ada.context.close(), ben.context.close()]);
  });

  it('a message with HTML and script shows as text, runs nothing, and only http(s) links are links', async () => {
    const mallory = await newPerson(browser, server.url);
    const victim = await newPerson(browser, server.url);
    const [malloryHandle, victimHandle] = [uniqueHandle('mal'), uniqueHandle('vic')];
    await Promise.all([signUp(mallory.page, malloryHandle, 'Mallory <b>Bold</b>'), signUp(victim.page, victimHandle, 'Victor Victim')]);
    await startDirect(mallory.page, victimHandle, 'Victor Victim');

    const payload = '<img src=x onerror=alert(1)><script>alert(2)</script>';
    const links = 'see javascript:alert(3) and https://example.com/path?q=1&r=2. <b>not bold</b>';
    await send(mallory.page, payload);
    await send(mallory.page, links);
    await openConversation(victim.page, 'Mallory <b>Bold</b>');
    await waitForMessages(victim.page, [payload, links]);

    for (const page of [mallory.page, victim.page]) {
      const messages = page.locator('.messages');
      assert.equal(await messages.locator('img, script, b').count(), 0, 'no element made from message text');
      const anchors = await messages.locator('a').evaluateAll((items) => items.map((a) => ({ href: a.getAttribute('href'), target: a.getAttribute('target'), rel: a.getAttribute('rel'), text: a.textContent })));
      assert.deepEqual(anchors, [{ href: 'https://example.com/path?q=1&r=2', target: '_blank', rel: 'noopener noreferrer nofollow', text: 'https://example.com/path?q=1&r=2' }]);
    }
    // The preview in the list and the display name are text too.
    assert.match((await conversationLink(victim.page, 'Mallory <b>Bold</b>').textContent()) ?? '', /<b>Bold<\/b>/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual([...mallory.dialogs, ...victim.dialogs], [], 'no dialog opened');
    assert.deepEqual([...mallory.errors, ...victim.errors], []);
    await screenshot(victim.page, 'html-as-text');
    await Promise.all([mallory.context.close(), victim.context.close()]);
  });
});
