import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createUser, expectOk, http, type TestApp } from '../../server/test/support/test-app.ts';
import { browserSkipReason, eventually, newPerson, screenshot } from './support/browser.ts';
import { type BrowserSuite, startBrowserSuite } from './support/suite.ts';
import { createGroup, send, signIn, signUp, startDirect, uniqueHandle, waitForMessages } from './support/chat.ts';

/**
 * Governance in the web client end to end: channels, joining by handle and by invite
 * link, moderation (mute, ban), blocks, privacy settings and devices, in real Chromium
 * against a real server.
 */
const skip = browserSkipReason();
if (skip) console.log(`# ${skip}`);

const composer = (page: Page) => page.getByRole('textbox', { name: 'Message', exact: true });

async function openDetails(page: Page): Promise<void> {
  await page.getByRole('button', { name: /^(Members and settings|Conversation details)$/ }).click();
  await page.getByRole('complementary', { name: 'Conversation details' }).waitFor();
}

describe('governance in Chromium', { skip }, () => {
  let suite: BrowserSuite | undefined;
  let server: TestApp;
  let browser: Browser;

  before(async () => {
    suite = await startBrowserSuite();
    ({ server, browser } = suite);
  });

  after(() => suite?.close());

  it('an owner creates a public channel; someone joins it by handle, has no composer, and gets posts live', async () => {
    const [owner, reader] = await Promise.all([newPerson(browser, server.url), newPerson(browser, server.url)]);
    const handles = { owner: uniqueHandle('cora'), reader: uniqueHandle('rex'), channel: uniqueHandle('releases') };
    await Promise.all([signUp(owner.page, handles.owner, 'Cora Creator'), signUp(reader.page, handles.reader, 'Rex Reader')]);

    await owner.page.getByRole('button', { name: 'New chat' }).click();
    const dialog = owner.page.getByRole('dialog', { name: 'New conversation' });
    await dialog.getByRole('button', { name: /^Channel/ }).click();
    const form = dialog.getByRole('form', { name: 'Create a channel' });
    await form.getByLabel('Channel title').fill('Release notes');
    await form.getByLabel('Public handle (optional)').fill(`@${handles.channel}`);
    await form.getByLabel('Description (optional)').fill('What shipped, when.');
    await screenshot(owner.page, 'governance-channel-create');
    await form.getByRole('button', { name: 'Create channel' }).click();
    await owner.page.getByRole('heading', { name: 'Release notes', level: 2 }).waitFor();
    await composer(owner.page).waitFor();

    // The reader finds it by handle: a preview first, then joining.
    await reader.page.getByRole('button', { name: 'New chat' }).click();
    const readerDialog = reader.page.getByRole('dialog', { name: 'New conversation' });
    await readerDialog.getByLabel('Join a public group or channel').fill(`@${handles.channel}`);
    await readerDialog.getByRole('button', { name: 'Look up' }).click();
    const preview = readerDialog.getByRole('status', { name: 'Preview of Release notes' });
    await preview.waitFor();
    assert.match(await preview.innerText(), /Channel · 1 subscriber/);
    assert.match(await preview.innerText(), /What shipped, when\./);
    await screenshot(reader.page, 'governance-join-by-handle');
    await preview.getByRole('button', { name: 'Join' }).click();
    await reader.page.getByRole('heading', { name: 'Release notes', level: 2 }).waitFor();

    // A subscriber reads: no composer, a note instead.
    await reader.page.getByText('You are a subscriber').waitFor();
    assert.equal(await composer(reader.page).count(), 0, 'no composer for a subscriber');

    await send(owner.page, 'Version 1.0 is out!');
    await waitForMessages(reader.page, ['Version 1.0 is out!'], 'the post on the subscriber’s side');
    await screenshot(reader.page, 'governance-channel-subscriber');

    // Subscribers do not see each other: the reader's panel lists the owner only, with the count of everyone.
    const other = await createUser(server.url);
    const { conversation } = expectOk(await http(server.url, 'GET', `/v1/conversations/by-handle/${handles.channel}`, { token: other.token }));
    expectOk(await http(server.url, 'POST', `/v1/conversations/${conversation.id}/join`, { token: other.token }));
    await openDetails(reader.page);
    const readerPanel = reader.page.getByRole('complementary', { name: 'Conversation details' });
    await readerPanel.getByText('Only the owner, admins and moderators are listed.').waitFor();
    await readerPanel.getByText('(3)').waitFor();
    await eventually(async () => assert.deepEqual(await readerPanel.locator('.member .member-name').allInnerTexts(), ['Cora Creator']), 'only the owner on the reader’s side');
    // The owner sees every subscriber.
    await openDetails(owner.page);
    const ownerPanel = owner.page.getByRole('complementary', { name: 'Conversation details' });
    await eventually(async () => assert.equal(await ownerPanel.locator('.member').count(), 3), 'every member on the owner’s side');
    assert.equal(await ownerPanel.getByText('Only the owner, admins and moderators are listed.').count(), 0);

    // A lookup of a handle nobody has says so.
    await reader.page.getByRole('button', { name: 'New chat' }).click();
    await readerDialog.getByLabel('Join a public group or channel').fill('@nosuchchannelhere');
    await readerDialog.getByRole('button', { name: 'Look up' }).click();
    await readerDialog.getByRole('alert').filter({ hasText: 'No public group or channel is called @nosuchchannelhere.' }).waitFor();

    assert.deepEqual([...owner.errors, ...reader.errors], [], 'no uncaught errors in the pages');
    await Promise.all([owner.context.close(), reader.context.close()]);
  });

  it('an invite link brings someone into a private group; the owner mutes, then bans them, and the link no longer lets them in', async () => {
    const [owner, member] = await Promise.all([newPerson(browser, server.url), newPerson(browser, server.url)]);
    const handles = { owner: uniqueHandle('olive'), member: uniqueHandle('mia') };
    await Promise.all([signUp(owner.page, handles.owner, 'Olive Owner'), signUp(member.page, handles.member, 'Mia Member')]);

    await createGroup(owner.page, 'Book club', []);
    await openDetails(owner.page);
    const invites = owner.page.locator('.gov-invites');
    const createForm = invites.getByRole('form', { name: 'Create an invite link' });
    await createForm.getByLabel('Expires').selectOption({ label: '7 days' });
    await createForm.getByLabel('Max uses').fill('5');
    await createForm.getByRole('button', { name: 'Create link' }).click();
    const link = invites.locator('.gov-invite .gov-link').first();
    await link.waitFor();
    const url = new URL(await link.innerText());
    assert.equal(url.origin, server.url.replace(/\/$/, ''));
    assert.match(url.pathname, /^\/join\/[^/]+$/);
    assert.match(await invites.locator('.gov-invite').first().innerText(), /0 uses of 5 · expires/);
    await screenshot(owner.page, 'governance-invite-links');

    // The member opens the link: a preview, then joining opens the group.
    await member.page.goto(url.pathname);
    const invitation = member.page.getByRole('region', { name: 'Invitation' });
    await invitation.getByRole('status', { name: 'Preview of Book club' }).waitFor();
    assert.match(await invitation.innerText(), /Group · 1 member/);
    await screenshot(member.page, 'governance-invite-preview');
    await invitation.getByRole('button', { name: 'Join group' }).click();
    await member.page.getByRole('heading', { name: 'Book club', level: 2 }).waitFor();
    assert.match(member.page.url(), /\/c\//);
    await send(member.page, 'Hello, thanks for the invite');
    await waitForMessages(owner.page, ['Hello, thanks for the invite'], 'the new member’s message');
    await eventually(async () => assert.match(await invites.locator('.gov-invite').first().innerText(), /1 use of 5/), 'the use to count');

    // Mute: the member sees why they cannot send.
    const panel = owner.page.getByRole('complementary', { name: 'Conversation details' });
    await panel.getByRole('button', { name: 'Manage Mia Member' }).click();
    const manage = owner.page.getByRole('dialog', { name: 'Mia Member' });
    await manage.getByLabel('Mute for').selectOption({ label: '1 day' });
    await manage.getByRole('button', { name: 'Mute', exact: true }).click();
    await manage.getByRole('button', { name: 'Unmute' }).waitFor();
    await member.page.getByText(/You are muted here until .+, so you cannot send messages\./).waitFor();
    assert.equal(await composer(member.page).count(), 0, 'no composer while muted');
    await screenshot(member.page, 'governance-muted');
    await panel.locator('.member', { hasText: 'Mia Member' }).getByText('Muted', { exact: true }).waitFor();

    // Ban forever, confirmed: the member sees they were banned.
    await manage.getByLabel('Ban for').selectOption({ label: 'Forever' });
    await manage.getByRole('button', { name: 'Ban', exact: true }).click();
    await manage.getByText('Ban Mia Member forever?').waitFor();
    await screenshot(owner.page, 'governance-ban-confirm');
    await manage.getByRole('group', { name: 'Confirm' }).getByRole('button', { name: 'Ban' }).click();
    await manage.waitFor({ state: 'hidden' });
    await member.page.getByText('You were banned from Book club.').waitFor();
    await screenshot(member.page, 'governance-banned');
    await eventually(async () => assert.equal(await panel.locator('.member', { hasText: 'Mia Member' }).count(), 0), 'the banned member to leave the owner’s list');

    // The link does not bring them back.
    await member.page.goto(url.pathname);
    await invitation.getByRole('button', { name: 'Join group' }).click();
    await invitation.getByRole('alert').filter({ hasText: 'You cannot join this conversation.' }).waitFor();
    await screenshot(member.page, 'governance-rejoin-refused');
    assert.match(member.page.url(), /\/join\//);

    // Revoking the link (confirmed) takes it off the list.
    await invites.getByRole('button', { name: 'Revoke' }).click();
    await invites.getByRole('group', { name: 'Confirm' }).getByRole('button', { name: 'Revoke' }).click();
    await invites.getByText('No active links.').waitFor();

    assert.deepEqual([...owner.errors, ...member.errors], [], 'no uncaught errors in the pages');
    await Promise.all([owner.context.close(), member.context.close()]);
  });

  it('a link that needs approval: the request is approved; the owner gives a role, then hands over ownership', async () => {
    const [owner, joiner] = await Promise.all([newPerson(browser, server.url), newPerson(browser, server.url)]);
    const handles = { owner: uniqueHandle('paula'), joiner: uniqueHandle('quinn') };
    await Promise.all([signUp(owner.page, handles.owner, 'Paula Prime'), signUp(joiner.page, handles.joiner, 'Quinn Quest')]);
    await createGroup(owner.page, 'Garden council', []);
    await openDetails(owner.page);
    const invites = owner.page.locator('.gov-invites');
    await invites.getByLabel('Admins approve each request').check();
    await invites.getByRole('button', { name: 'Create link' }).click();
    await invites.locator('.gov-invite', { hasText: 'needs approval' }).waitFor();
    const path = new URL(await invites.locator('.gov-link').first().innerText()).pathname;

    await joiner.page.goto(path);
    const invitation = joiner.page.getByRole('region', { name: 'Invitation' });
    await invitation.getByText('An admin approves requests to join through this link.').waitFor();
    await invitation.getByRole('button', { name: 'Ask to join' }).click();
    await invitation.getByText('Request sent.', { exact: false }).waitFor();

    await invites.getByRole('button', { name: 'Approve Quinn Quest' }).click();
    await invites.getByText('No pending requests.').waitFor();
    const panel = owner.page.getByRole('complementary', { name: 'Conversation details' });
    const row = panel.locator('.member', { hasText: 'Quinn Quest' });
    await row.waitFor();
    await joiner.page.locator('a.conversation-item', { hasText: 'Garden council' }).waitFor();

    // A role, then ownership (confirmed): the badges follow.
    await row.getByRole('button', { name: 'Manage Quinn Quest' }).click();
    const manage = owner.page.getByRole('dialog', { name: 'Quinn Quest' });
    await manage.getByLabel('Role').selectOption('moderator');
    await manage.getByRole('button', { name: 'Change role' }).click();
    await row.locator('.role-badge', { hasText: 'Moderator' }).waitFor();
    await screenshot(owner.page, 'governance-manage-member');
    await manage.getByRole('button', { name: 'Transfer ownership' }).click();
    await manage.getByRole('group', { name: 'Confirm' }).getByRole('button', { name: 'Transfer ownership' }).click();
    await manage.waitFor({ state: 'hidden' });
    await row.locator('.role-badge', { hasText: 'Owner' }).waitFor();
    await panel.locator('.member', { hasText: 'Paula Prime' }).locator('.role-badge', { hasText: 'Admin' }).waitFor();
    // An admin cannot act on the owner: no moderation for them any more.
    await eventually(async () => assert.equal(await row.getByRole('button', { name: 'Manage Quinn Quest' }).count(), 0), 'the Manage button to go');

    assert.deepEqual([...owner.errors, ...joiner.errors], [], 'no uncaught errors in the pages');
    await Promise.all([owner.context.close(), joiner.context.close()]);
  });

  it('a public channel that approves subscribers: a handle join waits, is declined, asked again and approved, all seen live', async () => {
    const [owner, reader] = await Promise.all([newPerson(browser, server.url), newPerson(browser, server.url)]);
    const handles = { owner: uniqueHandle('gail'), reader: uniqueHandle('hugo'), channel: uniqueHandle('insiders') };
    await Promise.all([signUp(owner.page, handles.owner, 'Gail Gate'), signUp(reader.page, handles.reader, 'Hugo Hopeful')]);

    await owner.page.getByRole('button', { name: 'New chat' }).click();
    const dialog = owner.page.getByRole('dialog', { name: 'New conversation' });
    await dialog.getByRole('button', { name: /^Channel/ }).click();
    const form = dialog.getByRole('form', { name: 'Create a channel' });
    await form.getByLabel('Channel title').fill('Insiders');
    const approval = form.getByLabel('Admins approve each subscriber who joins by handle');
    assert.equal(await approval.count(), 0, 'no approval choice for a private channel');
    await form.getByLabel('Public handle (optional)').fill(handles.channel);
    await approval.check();
    await form.getByRole('button', { name: 'Create channel' }).click();
    await owner.page.getByRole('heading', { name: 'Insiders', level: 2 }).waitFor();
    await openDetails(owner.page);
    const invites = owner.page.locator('.gov-invites');

    // The reader asks by handle: the request waits.
    await reader.page.getByRole('button', { name: 'New chat' }).click();
    const readerDialog = reader.page.getByRole('dialog', { name: 'New conversation' });
    await readerDialog.getByLabel('Join a public group or channel').fill(handles.channel);
    await readerDialog.getByRole('button', { name: 'Look up' }).click();
    const preview = readerDialog.getByRole('status', { name: 'Preview of Insiders' });
    await preview.getByRole('button', { name: 'Ask to join' }).click();
    await readerDialog.getByText('Request sent. An admin has to approve it').waitFor();
    assert.equal(await preview.getByRole('button').count(), 0, 'no second request while one waits');
    await screenshot(reader.page, 'governance-handle-pending');

    // Declined: the reader hears of it without reloading, and may ask again.
    await screenshot(owner.page, 'governance-join-requests');
    await invites.getByRole('button', { name: 'Decline Hugo Hopeful' }).click();
    await invites.getByText('No pending requests.').waitFor();
    await readerDialog.getByRole('alert').filter({ hasText: 'Your request to join was declined.' }).waitFor();
    await preview.getByRole('button', { name: 'Ask again' }).click();
    await readerDialog.getByText('Request sent. An admin has to approve it').waitFor();

    // Approved: the reader can open the channel, as a subscriber.
    await invites.getByRole('button', { name: 'Approve Hugo Hopeful' }).click();
    await readerDialog.getByText('Your request was approved.').waitFor();
    await preview.getByRole('button', { name: 'Open' }).click();
    await reader.page.getByRole('heading', { name: 'Insiders', level: 2 }).waitFor();
    await reader.page.getByText('You are a subscriber').waitFor();
    assert.equal(await composer(reader.page).count(), 0, 'no composer for a subscriber');
    await owner.page.getByRole('complementary', { name: 'Conversation details' }).locator('.member', { hasText: 'Hugo Hopeful' }).waitFor();

    assert.deepEqual([...owner.errors, ...reader.errors], [], 'no uncaught errors in the pages');
    await Promise.all([owner.context.close(), reader.context.close()]);
  });

  it('blocking someone in a direct chat refuses their messages; a report can be sent', async () => {
    const [alice, bob] = await Promise.all([newPerson(browser, server.url), newPerson(browser, server.url)]);
    const handles = { alice: uniqueHandle('ada'), bob: uniqueHandle('ben') };
    await Promise.all([signUp(alice.page, handles.alice, 'Ada Blocker'), signUp(bob.page, handles.bob, 'Ben Blocked')]);
    await startDirect(bob.page, handles.alice, 'Ada Blocker');
    await send(bob.page, 'Hi Ada');

    await alice.page.locator('a.conversation-item', { hasText: 'Ben Blocked' }).click();
    await waitForMessages(alice.page, ['Hi Ada']);
    await openDetails(alice.page);
    const safety = alice.page.getByRole('group', { name: 'Safety: Ben Blocked' });
    await safety.getByRole('button', { name: 'Block Ben Blocked' }).click();
    await safety.getByRole('group', { name: 'Confirm' }).getByRole('button', { name: 'Block' }).click();
    await safety.getByRole('button', { name: 'Unblock Ben Blocked' }).waitFor();
    await safety.getByText('You blocked Ben Blocked.').waitFor();
    // Ada's own composer gives way to a note that says why she cannot write, and how to undo it.
    const blockedNote = alice.page.locator('.composer-blocked');
    await blockedNote.getByText('You blocked Ben Blocked. Unblock them to send messages.').waitFor();
    assert.equal(await composer(alice.page).count(), 0, 'no composer while the block stands');

    // Ben's next message is refused.
    await composer(bob.page).fill('Are you there?');
    await composer(bob.page).press('Enter');
    const failed = bob.page.locator('.messages .message.pending.failed', { hasText: 'Are you there?' });
    await failed.waitFor();
    assert.match(await failed.innerText(), /You cannot message this user\./);
    await screenshot(bob.page, 'governance-blocked-send');

    // A report of the user.
    await safety.getByRole('button', { name: 'Report…' }).click();
    const report = safety.getByRole('form', { name: 'Report' });
    await report.getByLabel('Reason').selectOption('harassment');
    await report.getByLabel('Details (optional)').fill('Keeps messaging me.');
    await screenshot(alice.page, 'governance-report');
    await report.getByRole('button', { name: 'Send report' }).click();
    await safety.getByText('Report sent. Thank you.').waitFor();

    // Unblocking lets Ben write again: his refused message goes through on retry.
    await safety.getByRole('button', { name: 'Unblock Ben Blocked' }).click();
    await safety.getByRole('button', { name: 'Block Ben Blocked' }).waitFor();
    await failed.getByRole('group', { name: 'Message not sent' }).getByRole('button', { name: 'Retry' }).click();
    await waitForMessages(alice.page, ['Hi Ada', 'Are you there?'], 'Ben’s retried message after the unblock');
    await send(bob.page, 'Back again');
    await waitForMessages(alice.page, ['Hi Ada', 'Are you there?', 'Back again'], 'Ben’s message after the unblock');
    await composer(alice.page).waitFor();
    assert.equal(await blockedNote.count(), 0);

    // Blocking again, then unblocking from the note itself, gives Ada her composer back.
    await safety.getByRole('button', { name: 'Block Ben Blocked' }).click();
    await safety.getByRole('group', { name: 'Confirm' }).getByRole('button', { name: 'Block' }).click();
    await blockedNote.getByRole('button', { name: 'Unblock' }).click();
    await composer(alice.page).waitFor();
    await send(alice.page, 'Sorry, my mistake');
    await waitForMessages(bob.page, ['Hi Ada', 'Are you there?', 'Back again', 'Sorry, my mistake'], 'Ada’s message after unblocking from the note');

    assert.deepEqual([...alice.errors, ...bob.errors], [], 'no uncaught errors in the pages');
    await Promise.all([alice.context.close(), bob.context.close()]);
  });

  it('settings: who may add me is saved; devices show the current one, and signing out another signs that browser out', async () => {
    const [laptop, phone] = await Promise.all([newPerson(browser, server.url), newPerson(browser, server.url)]);
    const handle = uniqueHandle('dora');
    await signUp(laptop.page, handle, 'Dora Devices');
    await signIn(phone.page, handle);

    await laptop.page.getByRole('button', { name: 'Settings and profile' }).click();
    const settings = laptop.page.getByRole('dialog', { name: 'Settings' });
    const addPrivacy = settings.getByLabel('Who can add me to groups and channels');
    await eventually(async () => assert.equal(await addPrivacy.inputValue(), 'everyone'), 'the add privacy setting to load');
    await addPrivacy.selectOption({ label: 'Nobody' });
    await settings.getByText('Privacy settings saved.').waitFor();
    const presence = settings.getByLabel('Who can see when I am online');
    await eventually(async () => assert.equal(await presence.inputValue(), 'everyone'), 'the presence privacy setting to load');
    await presence.selectOption('contacts');
    await settings.getByText('Privacy settings saved.').waitFor();

    // Two devices: this one marked.
    const devices = settings.locator('.gov-device');
    await eventually(async () => assert.equal(await devices.count(), 2), 'both devices to be listed');
    const current = settings.locator('.gov-device[data-current]');
    assert.equal(await current.count(), 1);
    await current.getByText('This device').waitFor();
    await screenshot(laptop.page, 'governance-settings');

    // Signing out the other one.
    const other = settings.locator('.gov-device:not([data-current])');
    await other.getByRole('button', { name: /^Sign out / }).click();
    await other.getByRole('group', { name: 'Confirm' }).getByRole('button', { name: 'Sign out' }).click();
    await eventually(async () => assert.equal(await devices.count(), 1), 'the revoked device to leave the list');
    await phone.page.getByText('You were signed out. Please sign in again.').waitFor();
    await phone.page.getByLabel('Handle').waitFor();
    await screenshot(phone.page, 'governance-device-signed-out');

    // The settings hold after a reload.
    await laptop.page.reload();
    await laptop.page.getByRole('button', { name: 'Settings and profile' }).click();
    await eventually(async () => assert.equal(await settings.getByLabel('Who can add me to groups and channels').inputValue(), 'nobody'), 'the saved add privacy');
    await eventually(async () => assert.equal(await settings.getByLabel('Who can see when I am online').inputValue(), 'contacts'), 'the saved presence privacy');
    await settings.locator('.gov-device[data-current]').waitFor();

    assert.deepEqual([...laptop.errors, ...phone.errors], [], 'no uncaught errors in the pages');
    await Promise.all([laptop.context.close(), phone.context.close()]);
  });
});
