import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { createUser, expectOk, http, type TestApp, type TestUser } from '../../server/test/support/test-app.ts';
import { browserSkipReason, eventually, screenshot } from './support/browser.ts';
import { type BrowserSuite, startBrowserSuite } from './support/suite.ts';
import { conversationLink, openAs, openConversation, uniqueHandle, waitForMessages } from './support/chat.ts';

/**
 * What new users hit first (issue 18): each test sets the scene through the HTTP API as
 * the other people, and checks what the person in Chromium sees, live, without reloading.
 */
const skip = browserSkipReason();
if (skip) console.log(`# ${skip}`);

function messageIn(page: Page, text: string): Locator {
  return page.locator('.messages .message:not(.pending)', { has: page.locator('.message-text', { hasText: text }) });
}

async function tickOf(page: Page, text: string): Promise<string | null> {
  return messageIn(page, text).locator('.ticks').getAttribute('aria-label');
}

/** Whether `inner`'s box lies inside `outer`'s, horizontally (a pixel of rounding allowed). */
async function insideHorizontally(inner: Locator, outer: Locator, what: string): Promise<void> {
  const [a, b] = await Promise.all([inner.boundingBox(), outer.boundingBox()]);
  assert.ok(a && b, `${what}: both are shown`);
  assert.ok(a.x >= b.x - 1 && a.x + a.width <= b.x + b.width + 1, `${what}: ${a.x}..${a.x + a.width} lies within ${b.x}..${b.x + b.width}`);
}

describe('web client: what new users hit first (issue 18) in Chromium', { skip }, () => {
  let suite: BrowserSuite | undefined;
  let server: TestApp;
  let browser: Browser;
  const post = async (user: TestUser, path: string, body: unknown = {}) => expectOk(await http(server.url, 'POST', path, { token: user.token, body }), `POST ${path}`);

  before(async () => {
    suite = await startBrowserSuite();
    ({ server, browser } = suite);
  });

  after(() => suite?.close());

  it('group read ticks: after a reload a message everyone read shows "Read" (item 2)', async () => {
    const [owner, fay, gus] = await Promise.all([createUser(server.url, uniqueHandle('olga')), createUser(server.url, uniqueHandle('fay')), createUser(server.url, uniqueHandle('gus'))]);
    const { conversation } = await post(owner, '/v1/conversations', { kind: 'group', title: 'Reading circle', memberIds: [fay.user.id, gus.user.id] });
    const { message: first } = await post(owner, `/v1/conversations/${conversation.id}/messages`, { clientMsgId: 'ticks-1', text: 'Read by both' });
    await post(fay, `/v1/conversations/${conversation.id}/read`, { seq: first.seq });
    await post(gus, `/v1/conversations/${conversation.id}/read`, { seq: first.seq });
    const { message: second } = await post(owner, `/v1/conversations/${conversation.id}/messages`, { clientMsgId: 'ticks-2', text: 'Read by one, delivered to both' });
    await post(fay, `/v1/conversations/${conversation.id}/read`, { seq: second.seq });
    await post(gus, '/v1/me/delivered', { conversations: [{ id: conversation.id, seq: second.seq }] });

    // The owner's page starts from scratch: no receipt frame was ever seen on it.
    const person = await openAs(browser, server, owner);
    await openConversation(person.page, 'Reading circle');
    await waitForMessages(person.page, ['Read by both', 'Read by one, delivered to both']);
    await eventually(async () => {
      assert.equal(await tickOf(person.page, 'Read by both'), 'Read');
      assert.equal(await tickOf(person.page, 'Read by one, delivered to both'), 'Delivered');
    }, 'the ticks the server’s receipts say');
    // And live from there: Gus reads the second one.
    await post(gus, `/v1/conversations/${conversation.id}/read`, { seq: second.seq });
    await eventually(async () => assert.equal(await tickOf(person.page, 'Read by one, delivered to both'), 'Read'), 'read by both, live');
    assert.deepEqual(person.errors, []);
    await person.context.close();
  });

  it('a changed display name shows at once for the others, in the list, the header and the timeline (item 3)', async () => {
    const [ada, ben] = await Promise.all([createUser(server.url, uniqueHandle('ada')), createUser(server.url, uniqueHandle('ben'))]);
    const { conversation: direct } = await post(ada, '/v1/conversations', { kind: 'direct', userId: ben.user.id });
    await post(ada, `/v1/conversations/${direct.id}/messages`, { clientMsgId: 'name-1', text: 'Hello from Ada' });
    const { conversation: group } = await post(ben, '/v1/conversations', { kind: 'group', title: 'Name game', memberIds: [ada.user.id] });
    await post(ada, `/v1/conversations/${group.id}/messages`, { clientMsgId: 'name-2', text: 'Ada in the group' });

    const person = await openAs(browser, server, ben);
    await conversationLink(person.page, ada.user.displayName).waitFor();
    await openConversation(person.page, 'Name game');
    await person.page.locator('.message-sender', { hasText: ada.user.displayName }).waitFor();

    expectOk(await http(server.url, 'PATCH', '/v1/me', { token: ada.token, body: { displayName: 'Ada Lovelace' } }), 'rename');
    await conversationLink(person.page, 'Ada Lovelace').waitFor({ timeout: 5_000 });
    await person.page.locator('.message-sender', { hasText: 'Ada Lovelace' }).waitFor({ timeout: 5_000 });
    await openConversation(person.page, 'Ada Lovelace');
    await person.page.getByRole('heading', { name: 'Ada Lovelace', level: 2 }).waitFor();
    assert.deepEqual(person.errors, []);
    await person.context.close();
  });

  it('a 64-character name without spaces stays inside the details panel, its block confirmation and the composer (item 4)', async () => {
    const longName = 'Maximiliana-Konstantinopoulou-Wolfeschlegelsteinhausenbergerdorf';
    assert.equal(longName.length, 64);
    const [kim, lee] = await Promise.all([createUser(server.url, uniqueHandle('kim')), createUser(server.url, uniqueHandle('lee'))]);
    expectOk(await http(server.url, 'PATCH', '/v1/me', { token: kim.token, body: { displayName: longName } }), 'long name');
    await post(kim, '/v1/conversations', { kind: 'direct', userId: lee.user.id });

    const person = await openAs(browser, server, lee);
    await openConversation(person.page, longName);
    const composer = person.page.getByRole('textbox', { name: 'Message', exact: true });
    const box = await composer.evaluate((element) => ({ height: element.getBoundingClientRect().height, scrollWidth: element.scrollWidth, clientWidth: element.clientWidth }));
    assert.ok(box.height <= 44, `the composer stays one line high with the long placeholder (${box.height}px)`);
    assert.ok(box.scrollWidth <= box.clientWidth, `the placeholder does not overflow the box sideways (${box.scrollWidth} > ${box.clientWidth})`);
    // The placeholder is drawn in the box's shadow tree, out of reach: what it says, and that it may not wrap, is what can be checked.
    assert.equal(await composer.getAttribute('placeholder'), `Message ${longName.slice(0, 23)}…`);
    assert.equal(await composer.evaluate((element) => getComputedStyle(element, '::placeholder').whiteSpace), 'nowrap');

    await person.page.getByRole('button', { name: 'Conversation details' }).click();
    const panel = person.page.getByRole('complementary', { name: 'Conversation details' });
    await insideHorizontally(panel.locator('.profile strong'), panel, 'the name');
    const block = panel.getByRole('button', { name: `Block ${longName}` });
    await insideHorizontally(block, panel, 'the block button');
    await block.click();
    const confirm = panel.locator('.gov-confirm');
    await confirm.waitFor();
    await insideHorizontally(confirm, panel, 'the block confirmation');
    await insideHorizontally(confirm.getByRole('button', { name: 'Block' }), panel, 'the confirmation’s button');
    const overflow = await panel.evaluate((element) => element.scrollWidth - element.clientWidth);
    assert.equal(overflow, 0, 'nothing in the panel is wider than the panel');
    await screenshot(person.page, 'long-name-details');
    assert.deepEqual(person.errors, []);
    await person.context.close();
  });

  it('an admin sees a request to join the moment it is made, with no Refresh button (item 6)', async () => {
    const [owner, asker] = await Promise.all([createUser(server.url, uniqueHandle('own')), createUser(server.url, uniqueHandle('ask'))]);
    const { conversation } = await post(owner, '/v1/conversations', { kind: 'group', title: 'Members only', memberIds: [] });
    const { invite } = await post(owner, `/v1/conversations/${conversation.id}/invites`, { requiresApproval: true });

    const person = await openAs(browser, server, owner);
    await openConversation(person.page, 'Members only');
    await person.page.getByRole('button', { name: 'Members and settings' }).click();
    const panel = person.page.getByRole('complementary', { name: 'Conversation details' });
    await panel.getByText('No pending requests.').waitFor();
    assert.equal(await panel.getByRole('button', { name: 'Refresh' }).count(), 0, 'nothing to refresh by hand');

    const asked = await post(asker, `/v1/invites/${invite.code}/join`);
    assert.equal(asked.status, 'pending');
    // Well within any polling interval: the request arrives as an event.
    await panel.getByRole('button', { name: `Approve ${asker.user.displayName}` }).waitFor({ timeout: 4_000 });
    await panel.getByRole('button', { name: `Approve ${asker.user.displayName}` }).click();
    await panel.getByText('No pending requests.').waitFor({ timeout: 4_000 });
    await eventually(async () => assert.match((await person.page.locator('.conversation-header .conversation-subtitle').textContent()) ?? '', /^2 members$/u), 'the asker let in');
    assert.deepEqual(person.errors, []);
    await person.context.close();
  });

  it('drafts stay with their conversation across switching and reloads; a channel counts subscribers as its invite card does (item 7)', async () => {
    const [mia, ned, ola] = await Promise.all([createUser(server.url, uniqueHandle('mia')), createUser(server.url, uniqueHandle('ned')), createUser(server.url, uniqueHandle('ola'))]);
    await post(ned, '/v1/conversations', { kind: 'direct', userId: mia.user.id });
    await post(ola, '/v1/conversations', { kind: 'direct', userId: mia.user.id });
    const channelHandle = uniqueHandle('news');
    const { conversation: channel } = await post(mia, '/v1/conversations', { kind: 'channel', title: 'Mia news', handle: channelHandle, visibility: 'public' });
    await post(ned, `/v1/conversations/${channel.id}/join`);

    const person = await openAs(browser, server, mia);
    const box = person.page.getByRole('textbox', { name: 'Message', exact: true });
    await openConversation(person.page, ned.user.displayName);
    await box.fill('Half a thought for Ned');
    await openConversation(person.page, ola.user.displayName);
    assert.equal(await box.inputValue(), '');
    await box.fill('Something for Ola');
    await person.page.reload();
    await person.page.getByRole('heading', { name: ola.user.displayName, level: 2 }).waitFor();
    await eventually(async () => assert.equal(await box.inputValue(), 'Something for Ola'), 'Ola’s draft after a reload');
    await openConversation(person.page, ned.user.displayName);
    assert.equal(await box.inputValue(), 'Half a thought for Ned');
    // Sent: the draft is gone, after a reload too.
    await box.press('Enter');
    await waitForMessages(person.page, ['Half a thought for Ned']);
    await person.page.reload();
    await person.page.getByRole('heading', { name: ned.user.displayName, level: 2 }).waitFor();
    assert.equal(await box.inputValue(), '');

    await openConversation(person.page, 'Mia news');
    assert.equal(await person.page.locator('.conversation-header .conversation-subtitle').textContent(), '2 subscribers');
    assert.deepEqual(person.errors, []);
    await person.context.close();
  });

  it('delivered and read ticks differ clearly in colour (item 7)', async () => {
    const [pia, quinn] = await Promise.all([createUser(server.url, uniqueHandle('pia')), createUser(server.url, uniqueHandle('qui'))]);
    const { conversation } = await post(pia, '/v1/conversations', { kind: 'direct', userId: quinn.user.id });
    const { message: read } = await post(pia, `/v1/conversations/${conversation.id}/messages`, { clientMsgId: 'tick-read', text: 'This one is read' });
    const { message: delivered } = await post(pia, `/v1/conversations/${conversation.id}/messages`, { clientMsgId: 'tick-delivered', text: 'This one is delivered' });
    await post(quinn, `/v1/conversations/${conversation.id}/read`, { seq: read.seq });
    await post(quinn, '/v1/me/delivered', { conversations: [{ id: conversation.id, seq: delivered.seq }] });

    const person = await openAs(browser, server, pia);
    await openConversation(person.page, quinn.user.displayName);
    await eventually(async () => {
      assert.equal(await tickOf(person.page, 'This one is read'), 'Read');
      assert.equal(await tickOf(person.page, 'This one is delivered'), 'Delivered');
    }, 'one read, one delivered');
    // The colour each tick is painted in, over its bubble (alpha blended), as red, green and blue.
    const painted = (text: string) =>
      messageIn(person.page, text).locator('.ticks').evaluate((tick) => {
        const parse = (css: string) => (css.match(/[\d.]+/g) ?? []).map(Number);
        const [r, g, b, a = 1] = parse(getComputedStyle(tick).color);
        const [br, bg, bb] = parse(getComputedStyle(tick.closest('.bubble')!).backgroundColor);
        return [r! * a + br! * (1 - a), g! * a + bg! * (1 - a), b! * a + bb! * (1 - a)];
      });
    const [readColour, deliveredColour] = await Promise.all([painted('This one is read'), painted('This one is delivered')]);
    const distance = Math.hypot(...readColour.map((value, index) => value - deliveredColour[index]!));
    assert.ok(distance >= 100, `read ${readColour.map(Math.round)} and delivered ${deliveredColour.map(Math.round)} are ${Math.round(distance)} apart in RGB (at least 100 wanted)`);
    await screenshot(person.page, 'ticks-delivered-and-read');
    assert.deepEqual(person.errors, []);
    await person.context.close();
  });

  it('on a phone no message shows a "…" button; a long press opens the message menu (item 7)', async () => {
    const [rae, sol] = await Promise.all([createUser(server.url, uniqueHandle('rae')), createUser(server.url, uniqueHandle('sol'))]);
    const { conversation } = await post(rae, '/v1/conversations', { kind: 'direct', userId: sol.user.id });
    for (const [index, text] of ['One', 'Two', 'Three'].entries()) await post(index % 2 ? sol : rae, `/v1/conversations/${conversation.id}/messages`, { clientMsgId: `phone-${index}`, text });

    const person = await openAs(browser, server, sol, { touch: true });
    await openConversation(person.page, rae.user.displayName);
    await waitForMessages(person.page, ['One', 'Two', 'Three']);
    const shown = await person.page.locator('.message-menu-button').evaluateAll((buttons) => buttons.filter((button) => Number(getComputedStyle(button).opacity) > 0).length);
    assert.equal(shown, 0, 'no "…" button showing');
    await messageIn(person.page, 'Two').locator('.bubble').dispatchEvent('contextmenu');
    const menu = person.page.getByRole('menu', { name: 'Message actions' });
    await menu.getByRole('menuitem', { name: 'Reply' }).waitFor();
    await menu.getByRole('menuitem', { name: 'Reply' }).click();
    await person.page.getByText(`Replying to yourself`).waitFor();
    await screenshot(person.page, 'phone-no-dots');
    assert.deepEqual(person.errors, []);
    await person.context.close();
  });
});
