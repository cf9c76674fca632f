import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, Locator, Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { findFfmpeg } from '../../server/src/modules/media/ffmpeg.ts';
import { createUser, expectOk, http, type TestApp, type TestUser } from '../../server/test/support/test-app.ts';
import { browserSkipReason, eventually, screenshot } from './support/browser.ts';
import { type BrowserSuite, startBrowserSuite } from './support/suite.ts';
import { s3Env, startS3Server, type S3TestServer } from '../../server/test/support/s3-server.ts';
import { conversationLink, openAs, openConversation, uniqueHandle } from './support/chat.ts';

/**
 * Files in the web client (issue 15, item 8): attaching by the button, by dropping and by
 * pasting, progress and cancel, refusals shown on the file; another member seeing the
 * preview and the file card and opening them (the links answer with the very bytes sent);
 * an outsider refused; voice notes recorded from Chromium's fake microphone.
 */
const skip = browserSkipReason();
if (skip) console.log(`# ${skip}`);

/** Small enough that a test file goes over it, large enough for the pictures here. */
const MAX_FILE_BYTES = 200_000;

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A real PNG without text chunks (so the server stores it unchanged): a red and blue picture. */
function png(width = 96, height = 64): Buffer {
  const image = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) image.data.set(i % width < width / 2 ? [220, 40, 40, 255] : [40, 40, 220, 255], i * 4);
  return PNG.sync.write(image);
}

/** A small PDF: what file-type recognises as application/pdf. */
function pdf(): Buffer {
  return Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n', 'latin1');
}

/** A Linux program's header: a type the default allow-list refuses. */
function program(): Buffer {
  const bytes = Buffer.alloc(256);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0);
  bytes.writeUInt16LE(2, 16);
  bytes.writeUInt16LE(0x3e, 18);
  return bytes;
}

/** A message bubble by its caption. */
function messageWith(page: Page, caption: string): Locator {
  return page.locator('.messages .message:not(.pending)', { has: page.locator('.message-text', { hasText: caption }) });
}

async function fetchBytes(url: string): Promise<{ status: number; type: string | null; bytes: Buffer }> {
  const response = await fetch(url);
  return { status: response.status, type: response.headers.get('content-type'), bytes: Buffer.from(await response.arrayBuffer()) };
}

async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(' ')).slice(0, 3).join(', ')})`);
}

/** A file chip in the composer, by file name. */
function chip(page: Page, name: string): Locator {
  return page.getByRole('list', { name: 'Files to send' }).getByRole('listitem').filter({ hasText: name });
}

async function chooseFiles(page: Page, files: Array<{ name: string; mimeType: string; buffer: Buffer }>): Promise<void> {
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByRole('button', { name: 'Attach files' }).click()]);
  assert.ok(chooser.isMultiple(), 'several files can be chosen at once');
  await chooser.setFiles(files);
}

/**
 * The whole suite with files on local disk; the paths every deployment on S3 depends on
 * (pictures, files and voice notes sent and opened through presigned links, outsiders
 * refused) again with files on s3rver, a real S3-speaking server.
 */
for (const store of ['local', 's3'] as const) {
  const localOnly = store === 'local' ? it : () => undefined;
  describe(`web client files, images and voice notes in Chromium (files ${store === 's3' ? 'on s3rver' : 'on local disk'})`, { skip }, () => {
    let suite: BrowserSuite | undefined;
    let s3: S3TestServer | undefined;
    let server: TestApp;
    let browser: Browser;
    const post = async (user: TestUser, path: string, body: unknown = {}) => expectOk(await http(server.url, 'POST', path, { token: user.token, body }), `POST ${path}`);

    before(async () => {
      if (store === 's3') s3 = await startS3Server();
      // A fake microphone that needs no permission prompt: MediaRecorder records a tone.
      suite = await startBrowserSuite({ env: { MEDIA_MAX_FILE_BYTES: String(MAX_FILE_BYTES), ...(s3 ? s3Env(s3) : {}) }, browserArgs: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'] });
      ({ server, browser } = suite);
    });

    after(async () => {
      await suite?.close();
      await s3?.close();
    });

    it('attach by the button: chips, refusals, send with a caption; another member sees the preview and the file card and opens both; an outsider is refused', async () => {
      const [ada, ben, eve] = await Promise.all([createUser(server.url, uniqueHandle('ada')), createUser(server.url, uniqueHandle('ben')), createUser(server.url, uniqueHandle('eve'))]);
      await post(ada, '/v1/conversations', { kind: 'group', title: 'Holiday', memberIds: [ben.user.id] });
      const sender = await openAs(browser, server, ada);
      const reader = await openAs(browser, server, ben);
      await openConversation(sender.page, 'Holiday');

      const picture = png();
      const document = pdf();
      await chooseFiles(sender.page, [
        { name: 'beach.png', mimeType: 'image/png', buffer: picture },
        { name: 'report.pdf', mimeType: 'application/pdf', buffer: document },
        { name: 'huge.txt', mimeType: 'text/plain', buffer: Buffer.alloc(MAX_FILE_BYTES + 1, 'a') },
        { name: 'setup.exe', mimeType: 'application/octet-stream', buffer: program() },
      ]);

      // Each file uploads on its own: two are ready, two refused with a sentence that says why.
      await eventually(async () => {
        assert.equal(await chip(sender.page, 'beach.png').getAttribute('data-state'), 'ready');
        assert.equal(await chip(sender.page, 'report.pdf').getAttribute('data-state'), 'ready');
      }, 'the picture and the PDF uploaded');
      // The picture's chip shows the server's preview of it.
      const chipImage = chip(sender.page, 'beach.png').locator('img');
      await eventually(async () => assert.ok(await chipImage.evaluate((image: HTMLImageElement) => image.complete && image.naturalWidth > 0)), 'the chip’s preview loaded');
      await chip(sender.page, 'huge.txt').getByRole('alert').waitFor();
      assert.equal(await chip(sender.page, 'huge.txt').getByRole('alert').textContent(), 'huge.txt is too large: files can be at most 200 KB.');
      await chip(sender.page, 'setup.exe').getByRole('alert').waitFor();
      assert.match((await chip(sender.page, 'setup.exe').getByRole('alert').textContent()) ?? '', /^setup\.exe cannot be sent: files of type application\/x-elf are not accepted\.$/u);
      assert.match((await chip(sender.page, 'report.pdf').textContent()) ?? '', /report\.pdf.*bytes/u, 'a ready chip shows the size');
      await screenshot(sender.page, 'media-chips');
      assert.deepEqual(await seriousViolations(sender.page), [], 'the composer with chips and errors');

      // The refused ones are removed (a refused file is never sent anyway).
      await sender.page.getByRole('button', { name: 'Remove huge.txt' }).click();
      await sender.page.getByRole('button', { name: 'Remove setup.exe' }).click();
      assert.equal(await sender.page.getByRole('list', { name: 'Files to send' }).getByRole('listitem').count(), 2);

      const box = sender.page.getByRole('textbox', { name: 'Message', exact: true });
      await box.fill('Photos and the booking');
      await box.press('Enter');
      await messageWith(sender.page, 'Photos and the booking').waitFor();
      await eventually(async () => assert.equal(await sender.page.locator('.messages .message.pending').count(), 0), 'the message sent');
      assert.equal(await sender.page.getByRole('list', { name: 'Files to send' }).count(), 0, 'the chips are gone after sending');

      // The other member: the preview (the thumbnail variant), and the file card with its size.
      await openConversation(reader.page, 'Holiday');
      const message = messageWith(reader.page, 'Photos and the booking');
      await message.waitFor();
      const thumb = message.getByRole('button', { name: 'Open image beach.png' }).locator('img');
      await eventually(async () => assert.ok(await thumb.evaluate((image: HTMLImageElement) => image.complete && image.naturalWidth > 0)), 'the preview loaded');
      assert.equal(await thumb.getAttribute('data-variant'), 'thumbnail');
      const thumbUrl = await thumb.getAttribute('src');
      assert.ok(thumbUrl?.includes('/thumbnail'), `a link to the preview: ${thumbUrl}`);
      const preview = await fetchBytes(thumbUrl!);
      assert.equal(preview.status, 200);
      assert.equal(preview.type, 'image/jpeg');

      const card = message.locator('.file-card');
      assert.equal(await card.locator('.file-card-name').textContent(), 'report.pdf');
      assert.equal(await card.locator('.file-card-size').textContent(), `${document.length} bytes · PDF`);
      const download = card.getByRole('link', { name: 'Download report.pdf' });
      const downloaded = await fetchBytes((await download.getAttribute('href'))!);
      assert.equal(downloaded.status, 200);
      assert.equal(downloaded.type, 'application/pdf');
      assert.equal(sha(downloaded.bytes), sha(document), 'the very bytes sent');

      // The lightbox shows the original; Escape closes it.
      await message.getByRole('button', { name: 'Open image beach.png' }).click();
      const lightbox = reader.page.getByRole('dialog', { name: 'beach.png' });
      await lightbox.waitFor();
      const full = lightbox.getByRole('img', { name: 'beach.png' });
      await eventually(async () => assert.equal(await full.evaluate((image: HTMLImageElement) => image.complete && image.naturalWidth), 96), 'the original loaded');
      const original = await fetchBytes((await full.getAttribute('src'))!);
      assert.equal(original.status, 200);
      assert.equal(original.type, 'image/png');
      assert.equal(sha(original.bytes), sha(picture));
      await screenshot(reader.page, 'media-lightbox');
      await reader.page.keyboard.press('Escape');
      await lightbox.waitFor({ state: 'detached' });
      await screenshot(reader.page, 'media-timeline');
      assert.deepEqual(await seriousViolations(reader.page), [], 'a conversation with an image and a file');

      // An outsider asking for a link to either file: the same 404 as an unknown id. The member: a link.
      const fileIds = await message.locator('[data-file-id]').evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-file-id')!));
      assert.equal(fileIds.length, 2);
      for (const id of fileIds) {
        const refused = await http(server.url, 'GET', `/v1/files/${id}/url`, { token: eve.token });
        assert.equal(refused.status, 404, 'an outsider gets no link');
        assert.equal(refused.body.error.code, 'not_found');
        const allowed = await http(server.url, 'GET', `/v1/files/${id}/url`, { token: ben.token });
        assert.equal(allowed.status, 200, 'a member gets one');
      }
      assert.deepEqual([...sender.errors, ...reader.errors], []);
      await Promise.all([sender.context.close(), reader.context.close()]);
    });

    localOnly('an upload under way shows its progress and can be cancelled; nothing of it is sent', async () => {
      const [kim, jo] = await Promise.all([createUser(server.url, uniqueHandle('kim')), createUser(server.url, uniqueHandle('jo'))]);
      await post(kim, '/v1/conversations', { kind: 'group', title: 'Slow line', memberIds: [jo.user.id] });
      const sender = await openAs(browser, server, kim);
      await openConversation(sender.page, 'Slow line');
      // A slow uplink (Chromium's own throttling), so the upload is still going when it is cancelled.
      const cdp = await sender.context.newCDPSession(sender.page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 20_000 });
      await chooseFiles(sender.page, [{ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.alloc(150_000, 'n') }]);
      const progress = sender.page.getByRole('progressbar', { name: 'Uploading notes.txt' });
      await progress.waitFor();
      assert.equal(await sender.page.getByRole('button', { name: 'Send' }).isDisabled(), true, 'no sending while a file is uploading');
      await sender.page.getByRole('button', { name: 'Cancel upload of notes.txt' }).click();
      await chip(sender.page, 'notes.txt').waitFor({ state: 'detached' });
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      // Nothing is left to send: no chips, and the send button stays off with an empty box.
      assert.equal(await sender.page.getByRole('list', { name: 'Files to send' }).count(), 0);
      assert.equal(await sender.page.getByRole('button', { name: 'Send' }).isDisabled(), true);
      assert.deepEqual(sender.errors, []);
      await sender.context.close();
    });

    localOnly('drop and paste files into the composer; a message with only files has no text line', async () => {
      const [lea, max] = await Promise.all([createUser(server.url, uniqueHandle('lea')), createUser(server.url, uniqueHandle('max'))]);
      await post(lea, '/v1/conversations', { kind: 'group', title: 'Drops', memberIds: [max.user.id] });
      const sender = await openAs(browser, server, lea);
      const reader = await openAs(browser, server, max);
      await openConversation(sender.page, 'Drops');

      const picture = [...png(40, 40)];
      // Dropped on the composer, as a file manager would.
      const dropped = await sender.page.evaluateHandle((bytes) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([new Uint8Array(bytes)], 'dropped.png', { type: 'image/png' }));
        return transfer;
      }, picture);
      await sender.page.dispatchEvent('form.composer', 'dragover', { dataTransfer: dropped });
      await sender.page.dispatchEvent('form.composer', 'drop', { dataTransfer: dropped });
      // Pasted into the text box, as a screenshot from the clipboard.
      await sender.page.getByRole('textbox', { name: 'Message', exact: true }).evaluate((box, bytes) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([new Uint8Array(bytes)], 'pasted.png', { type: 'image/png' }));
        box.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
      }, picture);
      await eventually(async () => {
        assert.equal(await chip(sender.page, 'dropped.png').getAttribute('data-state'), 'ready');
        assert.equal(await chip(sender.page, 'pasted.png').getAttribute('data-state'), 'ready');
      }, 'both files uploaded');
      assert.equal(await sender.page.getByRole('textbox', { name: 'Message', exact: true }).inputValue(), '', 'pasting a file adds no text');
      await sender.page.getByRole('button', { name: 'Send' }).click();

      await openConversation(reader.page, 'Drops');
      const images = reader.page.getByRole('list', { name: '2 images' });
      await images.waitFor();
      assert.deepEqual(await images.getByRole('button').evaluateAll((buttons) => buttons.map((button) => button.getAttribute('aria-label'))), ['Open image dropped.png', 'Open image pasted.png']);
      const bubble = reader.page.locator('.messages .message:not(.pending)', { has: images });
      assert.equal(await bubble.locator('.message-text').count(), 0, 'no empty caption line');
      assert.deepEqual([...sender.errors, ...reader.errors], []);
      await Promise.all([sender.context.close(), reader.context.close()]);
    });

    it('records a voice note from the microphone; the other member gets a player with its duration', async () => {
      const [una, vic] = await Promise.all([createUser(server.url, uniqueHandle('una')), createUser(server.url, uniqueHandle('vic'))]);
      await post(una, '/v1/conversations', { kind: 'group', title: 'Voices', memberIds: [vic.user.id] });
      const sender = await openAs(browser, server, una);
      const reader = await openAs(browser, server, vic);
      await openConversation(sender.page, 'Voices');

      await sender.page.getByRole('button', { name: 'Record a voice note' }).click();
      const status = sender.page.getByRole('status').filter({ hasText: /^Recording / });
      await status.waitFor();
      // Record until the clock shows two seconds (the recorder's own timer, not a sleep here).
      await eventually(async () => assert.match((await status.textContent()) ?? '', /^Recording 0:0[2-9]$/u), 'two seconds recorded', 15_000);
      await sender.page.getByRole('button', { name: 'Stop recording' }).click();
      const note = sender.page.getByRole('list', { name: 'Files to send' }).getByRole('listitem').first();
      await eventually(async () => assert.equal(await note.getAttribute('data-state'), 'ready'), 'the voice note uploaded', 15_000);
      assert.match((await note.textContent()) ?? '', /voice-note-.*\.(webm|ogg)/u);
      await sender.page.getByRole('button', { name: 'Send' }).click();

      await openConversation(reader.page, 'Voices');
      assert.match((await conversationLink(reader.page, 'Voices').locator('.conversation-preview').textContent()) ?? '', /: Voice note$/u, 'the list says what the message is');
      const player = reader.page.locator('.messages .message:not(.pending) .audio-card');
      await player.waitFor();
      // The duration: the server's, or (WebM from MediaRecorder has none in its header) measured by the player.
      await eventually(async () => assert.match((await player.locator('figcaption').textContent()) ?? '', /^Voice note · 0:0[2-9]$/u), 'the voice note’s duration shown');
      // With ffmpeg beside the server (MEDIA_FFMPEG=auto; .ci/run installs it) the Opus recording has the server's waveform.
      if (await findFfmpeg('auto')) assert.equal(await player.locator('.waveform > span').count(), 64, 'the waveform drawn');
      const audio = player.locator('audio');
      assert.equal(await audio.getAttribute('controls'), '');
      const fetched = await fetchBytes((await audio.getAttribute('src'))!);
      assert.equal(fetched.status, 200);
      assert.match(fetched.type ?? '', /^(audio|video)\/(webm|ogg)/u);
      await eventually(async () => assert.ok(await audio.evaluate((element: HTMLAudioElement) => element.readyState >= 1 && Number.isFinite(element.duration) && element.duration > 1 && element.currentTime === 0)), 'the player read the recording');
      await screenshot(reader.page, 'media-voice-note');
      assert.deepEqual([...sender.errors, ...reader.errors], []);
      await Promise.all([sender.context.close(), reader.context.close()]);
    });

    localOnly('sets an avatar in Settings; the other person sees it where the initials were', async () => {
      const [wil, zoe] = await Promise.all([createUser(server.url, uniqueHandle('wil')), createUser(server.url, uniqueHandle('zoe'))]);
      await post(zoe, '/v1/conversations', { kind: 'direct', userId: wil.user.id });
      const owner = await openAs(browser, server, wil);
      await owner.page.getByRole('button', { name: 'Settings and profile' }).click();
      const settings = owner.page.getByRole('dialog', { name: 'Settings' });
      await settings.waitFor();
      const [chooser] = await Promise.all([owner.page.waitForEvent('filechooser'), settings.getByRole('button', { name: 'Add a picture' }).click()]);
      await chooser.setFiles([{ name: 'me.png', mimeType: 'image/png', buffer: png(64, 64) }]);
      await settings.getByRole('status').filter({ hasText: 'Picture changed.' }).waitFor();
      const loaded = (locator: Locator) => locator.evaluate((image: HTMLImageElement) => image.complete && image.naturalWidth > 0 && image.classList.contains('loaded'));
      await eventually(async () => assert.ok(await loaded(settings.locator('.profile-summary .avatar img'))), 'the new picture in Settings');
      await settings.getByRole('button', { name: 'Remove picture' }).waitFor();
      assert.deepEqual(await seriousViolations(owner.page), [], 'Settings with a picture');
      await screenshot(owner.page, 'media-avatar-settings');
      await owner.page.keyboard.press('Escape');
      await eventually(async () => assert.ok(await loaded(owner.page.getByRole('button', { name: 'Settings and profile' }).locator('.avatar img'))), 'the picture in the app header');

      const avatarId = expectOk(await http(server.url, 'GET', `/v1/users/${wil.user.id}`, { token: zoe.token }), 'GET user').user.avatarId;
      assert.ok(avatarId, 'the profile names the picture');
      const other = await openAs(browser, server, zoe);
      const listAvatar = other.page.getByRole('navigation', { name: 'Conversation list' }).locator('.avatar img');
      await eventually(async () => assert.ok(await loaded(listAvatar)), 'Wil’s picture in Zoe’s list');
      assert.equal(await listAvatar.getAttribute('data-file-id'), avatarId);
      assert.deepEqual([...owner.errors, ...other.errors], []);
      await Promise.all([owner.context.close(), other.context.close()]);
    });

    localOnly('sets a group\'s photo from its details; a member sees it live, and one without edit_info gets no button', async () => {
      const [ivy, jon] = await Promise.all([createUser(server.url, uniqueHandle('ivy')), createUser(server.url, uniqueHandle('jon'))]);
      await post(ivy, '/v1/conversations', { kind: 'group', title: 'Book club', memberIds: [jon.user.id] });
      const owner = await openAs(browser, server, ivy);
      const member = await openAs(browser, server, jon);
      await openConversation(owner.page, 'Book club');
      await owner.page.getByRole('button', { name: /^(Members and settings|Conversation details)$/ }).click();
      const panel = owner.page.getByRole('complementary', { name: 'Conversation details' });
      await panel.waitFor();
      const [chooser] = await Promise.all([owner.page.waitForEvent('filechooser'), panel.getByRole('button', { name: 'Add a photo' }).click()]);
      await chooser.setFiles([{ name: 'books.png', mimeType: 'image/png', buffer: png(80, 80) }]);
      await panel.getByRole('status').filter({ hasText: 'Photo changed.' }).waitFor();
      await panel.getByRole('button', { name: 'Remove photo' }).waitFor();
      assert.deepEqual(await seriousViolations(owner.page), [], 'details with the photo chooser');

      const photoId = expectOk(await http(server.url, 'GET', '/v1/conversations', { token: jon.token }), 'GET conversations').conversations.find((c: { title: string | null }) => c.title === 'Book club').photoId;
      assert.ok(photoId, 'the conversation names its photo');
      const loaded = (locator: Locator) => locator.evaluate((image: HTMLImageElement) => image.complete && image.naturalWidth > 0 && image.classList.contains('loaded'));
      // Jon had the app open: the photo arrives live in his list.
      const listAvatar = conversationLink(member.page, 'Book club').locator('.avatar img');
      await eventually(async () => assert.ok(await loaded(listAvatar)), 'the photo in Jon’s list');
      assert.equal(await listAvatar.getAttribute('data-file-id'), photoId);
      // A plain member may not change it: no chooser in his details.
      await openConversation(member.page, 'Book club');
      await member.page.getByRole('button', { name: /^(Members and settings|Conversation details)$/ }).click();
      await member.page.getByRole('complementary', { name: 'Conversation details' }).waitFor();
      assert.equal(await member.page.getByRole('button', { name: /photo$/ }).count(), 0);
      assert.deepEqual([...owner.errors, ...member.errors], []);
      await Promise.all([owner.context.close(), member.context.close()]);
    });

    localOnly('without send_media a member gets no attach or record buttons, and dropped files are ignored', async () => {
      const [owner, member] = await Promise.all([createUser(server.url, uniqueHandle('own')), createUser(server.url, uniqueHandle('mem'))]);
      const { conversation } = await post(owner, '/v1/conversations', { kind: 'group', title: 'Text only', memberIds: [member.user.id] });
      expectOk(await http(server.url, 'PATCH', `/v1/conversations/${conversation.id}`, { token: owner.token, body: { settings: { memberRights: ['send_messages'] } } }), 'PATCH settings');
      const person = await openAs(browser, server, member);
      await openConversation(person.page, 'Text only');
      await person.page.getByRole('textbox', { name: 'Message', exact: true }).waitFor();
      assert.equal(await person.page.getByRole('button', { name: 'Attach files' }).count(), 0);
      assert.equal(await person.page.getByRole('button', { name: 'Record a voice note' }).count(), 0);
      const dropped = await person.page.evaluateHandle(() => {
        const transfer = new DataTransfer();
        transfer.items.add(new File(['hello'], 'note.txt', { type: 'text/plain' }));
        return transfer;
      });
      await person.page.dispatchEvent('form.composer', 'drop', { dataTransfer: dropped });
      assert.equal(await person.page.getByRole('list', { name: 'Files to send' }).count(), 0);
      assert.deepEqual(person.errors, []);
      await person.context.close();
    });
  });
}
