import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { iceAddress, janusSkipReason, type JanusTestServer, startJanus } from '../../server/test/support/janus-server.ts';
import { createUser, expectOk, http, startApp, type TestApp, type TestUser } from '../../server/test/support/test-app.ts';
import { browserSkipReason, eventually, launchChromium } from './support/browser.ts';
import { ensureWebBuild } from './support/build.ts';
import { openAs, openConversation, uniqueHandle } from './support/chat.ts';
import { sqliteOnly } from './support/server.ts';

/**
 * A three-party group call through a real Janus VideoRoom, in Debian's Chromium with fake
 * camera and microphone: Parley starts the call and hands out Janus tokens, each page joins
 * with the SDK's Janus client, publishes, and receives the other two (inbound-rtp bytes and
 * decoded frames grow). Janus gathers no candidates on loopback, so it is told to use this
 * machine's own non-loopback address (`ice_enforce_list`); traffic between local addresses
 * stays in the kernel. While media flows, the janus process' CPU time is read from /proc and
 * printed per forwarded stream (a figure for docs/calls.md, not an assertion). The same
 * three-party call then runs through the web client's own UI: started from the group's
 * header, accepted from the ringing cards, media received on every side, mute, camera, leave.
 */
const address = iceAddress();
const inCi = process.env.CI === 'true';
const skip = browserSkipReason() || janusSkipReason() || (!address && !inCi ? 'no non-loopback IPv4 address for ICE on this machine: the Janus browser call is skipped' : false);
if (skip) console.log(`# ${skip}`);

const pageSource = fileURLToPath(new URL('./janus-call-page/', import.meta.url));
const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** Builds the test page (the SDK's Janus client, bundled from source) and serves it on 127.0.0.1 (a secure context for getUserMedia). */
async function servePage(): Promise<{ url: string; close: () => Promise<void> }> {
  const outDir = mkdtempSync(join(tmpdir(), 'parley-janus-page-'));
  await build({
    configFile: false,
    root: pageSource,
    logLevel: 'warn',
    resolve: {
      alias: [
        { find: /^@parley\/sdk$/, replacement: source('../../sdk/src/index.ts') },
        { find: /^@parley\/protocol\/client$/, replacement: source('../../protocol/src/client.ts') },
        { find: /^@parley\/protocol$/, replacement: source('../../protocol/src/index.ts') },
      ],
    },
    build: { outDir, emptyOutDir: true, target: 'es2022', reportCompressedSize: false },
  });
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript' };
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    const file = path === '/' ? 'index.html' : path.replace(/\.\.+/g, '');
    try {
      const body = readFileSync(join(outDir, file));
      response.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/`,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

interface FeedStats {
  userId: string;
  videoBytes: number;
  framesDecoded: number;
  audioBytes: number;
}

const stats = (page: Page) => page.evaluate(() => (window as unknown as { callStats: () => Promise<FeedStats[]> }).callStats());

/** CPU time (user + system) of a process so far, in clock ticks (/proc/<pid>/stat fields 14 and 15). */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
}
/** Linux' USER_HZ. */
const TICKS_PER_SECOND = 100;

describe('a three-party group call through Janus VideoRoom in Chromium', { skip }, () => {
  let janus: JanusTestServer | undefined;
  let app: TestApp | undefined;
  let browser: Browser | undefined;
  let page: Awaited<ReturnType<typeof servePage>> | undefined;

  before(async () => {
    // A part that fails to start fails the suite at once; `after` closes the parts that did start.
    if (!address) throw new Error('no non-loopback IPv4 address for Janus\' ICE on this machine, and CI=true: the Janus browser call must run');
    janus = await startJanus({ iceAddress: address });
    app = await startApp(sqliteOnly, { env: { JANUS_URL: janus.url, JANUS_ADMIN_KEY: janus.adminKey } });
    page = await servePage();
    const build = ensureWebBuild();
    if (build.built) console.log(`# built the web client in ${build.ms} ms`);
    browser = await launchChromium(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection', '--autoplay-policy=no-user-gesture-required']);
  });
  after(async () => {
    await browser?.close();
    await page?.close();
    await app?.close();
    await janus?.close();
  });

  it('each participant receives the other two; a made-up token cannot join the room', async () => {
    const t = app!;
    const people: TestUser[] = await Promise.all([createUser(t.url), createUser(t.url), createUser(t.url)]);
    const [owner, second, third] = people as [TestUser, TestUser, TestUser];
    const room = expectOk(await http(t.url, 'POST', '/v1/conversations', { token: owner.token, body: { kind: 'group', title: 'Three', memberIds: [second.user.id, third.user.id] } }), 'create the group').conversation;
    const started = expectOk(await http(t.url, 'POST', `/v1/conversations/${room.id}/calls`, { token: owner.token, body: { kind: 'video' } }), 'start the call');
    assert.equal(started.media.type, 'janus');
    const medias = [started.media];
    for (const person of [second, third]) medias.push(expectOk(await http(t.url, 'POST', `/v1/calls/${started.call.id}/accept`, { token: person.token }), 'accept').media);

    const pages: Page[] = [];
    for (const media of medias) {
      const context = await browser!.newContext();
      const tab = await context.newPage();
      await tab.goto(page!.url);
      await tab.waitForFunction(() => 'joinCall' in window);
      pages.push(tab);
      await tab.evaluate((m) => (window as unknown as { joinCall: (m: unknown) => Promise<void> }).joinCall(m), media);
    }

    // Everyone receives the two others: video decoded and audio bytes arriving from each.
    const others = (i: number) => people.filter((_, j) => j !== i).map((p) => p.user.id).sort();
    const flowing = async (minFrames: number) => {
      const all = await Promise.all(pages.map(stats));
      return all.every((feeds, i) => {
        const live = feeds.filter((f) => f.framesDecoded >= minFrames && f.videoBytes > 0 && f.audioBytes > 0);
        return JSON.stringify(live.map((f) => f.userId).sort()) === JSON.stringify(others(i));
      });
    };
    const deadline = Date.now() + 60_000;
    while (!(await flowing(1))) {
      if (Date.now() > deadline) assert.fail(`media did not flow to everyone: ${JSON.stringify(await Promise.all(pages.map(stats)))}\n${janus!.log().slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }

    // It keeps flowing: every feed decodes 150 more frames (10 s at 15 fps). Janus' CPU over that window, per forwarded stream.
    const first = await Promise.all(pages.map(stats));
    const ticksBefore = cpuTicks(janus!.pid);
    const startedAt = Date.now();
    const grown = async () => {
      const now = await Promise.all(pages.map(stats));
      return now.every((feeds, i) => feeds.length === 2 && feeds.every((f) => f.framesDecoded >= (first[i]!.find((g) => g.userId === f.userId)?.framesDecoded ?? 0) + 150 && f.videoBytes > (first[i]!.find((g) => g.userId === f.userId)?.videoBytes ?? 0)));
    };
    const growDeadline = Date.now() + 60_000;
    while (!(await grown())) {
      if (Date.now() > growDeadline) assert.fail(`media stopped growing: ${JSON.stringify({ first, now: await Promise.all(pages.map(stats)) })}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const seconds = (Date.now() - startedAt) / 1000;
    const cpuSeconds = (cpuTicks(janus!.pid) - ticksBefore) / TICKS_PER_SECOND;
    // 3 publishers, each forwarded to 2 subscribers: 6 forwarded video+audio feeds.
    const forwarded = 6;
    const percent = (100 * cpuSeconds) / seconds;
    console.log(`# janus CPU: ${percent.toFixed(1)}% of one core over ${seconds.toFixed(1)} s for ${forwarded} forwarded feeds (320x240@15 VP8 + Opus each): ${(percent / forwarded).toFixed(2)}% per feed`);

    // A participant without a valid token cannot get in.
    const intruder = await pages[0]!.evaluate((m) => (window as unknown as { tryJoin: (m: unknown) => Promise<string> }).tryJoin(m), { ...medias[0], token: 'made-up', display: 'intruder' });
    assert.match(intruder, /433|[Uu]nauthori[sz]ed/);

    for (const tab of pages) await tab.evaluate(() => (window as unknown as { leaveCall: () => Promise<void> }).leaveCall());
    expectOk(await http(t.url, 'POST', `/v1/calls/${started.call.id}/end`, { token: owner.token }), 'end the call');
  });
  it('the web client: started from the group header, accepted from the ringing cards, each window receives the other two through Janus; mute, camera, leave', async () => {
    const t = app!;
    const people = await Promise.all(['ana', 'bo', 'cy'].map((name) => createUser(t.url, uniqueHandle(name))));
    const [owner, second, third] = people as [TestUser, TestUser, TestUser];
    const title = 'Janus web call';
    expectOk(await http(t.url, 'POST', '/v1/conversations', { token: owner.token, body: { kind: 'group', title, memberIds: [second.user.id, third.user.id] } }), 'create the group');
    const opened: Array<Awaited<ReturnType<typeof openAs>>> = [];
    try {
      for (const user of people) {
        const person = await openAs(browser!, t, user);
        opened.push(person);
        await person.context.addInitScript(trackPeerConnections);
        await person.page.reload();
        await person.page.getByRole('button', { name: 'New chat' }).waitFor();
        await openConversation(person.page, title);
      }
      const [A, B, C] = opened as [(typeof opened)[number], (typeof opened)[number], (typeof opened)[number]];

      await A.page.getByRole('button', { name: 'Start video call' }).click();
      await A.page.getByRole('region', { name: `Call: ${title}` }).waitFor();
      for (const callee of [B, C]) {
        await callee.page.getByRole('alertdialog', { name: `Incoming video call from ${owner.user.displayName}` }).getByRole('button', { name: 'Accept' }).click();
        await callee.page.getByRole('region', { name: `Call: ${title}` }).waitFor();
      }

      // Every window shows a connected tile with video for each of the two others, and their media keeps arriving.
      const pages = [A.page, B.page, C.page];
      for (const [i, tab] of pages.entries()) {
        for (const other of people.filter((_, j) => j !== i)) {
          await tab
            .locator(`.call-window .call-tile.with-video[data-user-id="${other.user.id}"][data-peer-state="connected"]`)
            .waitFor({ timeout: 60_000 })
            .catch(async (error: unknown) => assert.fail(`participant ${i + 1} shows no connected video tile for ${other.user.id}: ${String(error)}\n${await tab.locator('.call-window').evaluate((e) => e.outerHTML.replace(/<video[^>]*>/g, '<video>'))}\n${janus!.log().slice(-2000)}`));
        }
      }
      await Promise.all(pages.map((tab, i) => receivesFromTwo(tab, `participant ${i + 1}`)));
      for (const tab of pages) assert.equal(await tab.locator('.call-window').getAttribute('data-call-state'), 'connected');

      // Mute and camera off disable the published tracks (no renegotiation); on again.
      const controls = A.page.getByRole('toolbar', { name: 'Call controls' });
      await controls.getByRole('button', { name: 'Mute' }).click();
      await controls.getByRole('button', { name: 'Unmute' }).waitFor();
      assert.deepEqual(await publishedEnabled(A.page), { audio: [false], video: [true] });
      await controls.getByRole('button', { name: 'Camera off' }).click();
      await controls.getByRole('button', { name: 'Camera on' }).waitFor();
      assert.deepEqual(await publishedEnabled(A.page), { audio: [false], video: [false] });
      await controls.getByRole('button', { name: 'Unmute' }).click();
      await controls.getByRole('button', { name: 'Camera on' }).click();
      assert.deepEqual(await publishedEnabled(A.page), { audio: [true], video: [true] });

      // The third leaves: their window closes and every connection of theirs is closed; the others lose their tile and keep receiving each other.
      await C.page.getByRole('toolbar', { name: 'Call controls' }).getByRole('button', { name: 'Leave' }).click();
      await C.page.locator('.call-window').waitFor({ state: 'detached', timeout: 15_000 });
      await eventually(async () => assert.deepEqual(await openStates(C.page), []), 'the third participant\'s connections to close', 15_000);
      for (const tab of [A.page, B.page]) await tab.locator(`.call-window .call-tile[data-user-id="${third.user.id}"]`).waitFor({ state: 'detached', timeout: 30_000 });
      await A.page.locator(`.call-window .call-tile[data-user-id="${second.user.id}"][data-peer-state="connected"]`).waitFor();
      for (const person of opened) assert.deepEqual(person.errors, []);
      expectOk(await http(t.url, 'POST', `/v1/calls/${(await A.page.locator('.call-window').getAttribute('data-call-id'))!}/end`, { token: owner.token }), 'end the call');
      await Promise.all([A.page, B.page].map((tab) => tab.locator('.call-window').waitFor({ state: 'detached', timeout: 15_000 })));
    } finally {
      await Promise.allSettled(opened.map((person) => person.context.close()));
    }
  });
});

/** Keeps every RTCPeerConnection the page makes in `window.__pcs`, so the test can read their stats. */
function trackPeerConnections() {
  const Native = window.RTCPeerConnection;
  const all: RTCPeerConnection[] = [];
  (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs = all;
  window.RTCPeerConnection = class extends Native {
    constructor(config?: RTCConfiguration) {
      super(config);
      all.push(this);
    }
  } as typeof RTCPeerConnection;
}

/** Per open connection that receives something: inbound video bytes, frames decoded, audio bytes (getStats). */
async function inbound(tab: Page): Promise<Array<{ videoBytes: number; framesDecoded: number; audioBytes: number }>> {
  return tab.evaluate(async () => {
    const result: Array<{ videoBytes: number; framesDecoded: number; audioBytes: number }> = [];
    for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
      if (pc.connectionState === 'closed') continue;
      const entry = { videoBytes: 0, framesDecoded: 0, audioBytes: 0 };
      let receives = false;
      (await pc.getStats()).forEach((report: { type: string; kind?: string; bytesReceived?: number; framesDecoded?: number }) => {
        if (report.type !== 'inbound-rtp') return;
        receives = true;
        if (report.kind === 'video') {
          entry.videoBytes += report.bytesReceived ?? 0;
          entry.framesDecoded += report.framesDecoded ?? 0;
        } else if (report.kind === 'audio') entry.audioBytes += report.bytesReceived ?? 0;
      });
      if (receives) result.push(entry);
    }
    return result;
  });
}

/** Waits until the page receives from exactly two feeds and each one's video bytes, decoded frames (+10) and audio bytes grow. */
async function receivesFromTwo(tab: Page, who: string): Promise<void> {
  const before = await eventually(async () => {
    const now = await inbound(tab);
    assert.equal(now.length, 2, `${who} receives two feeds: ${JSON.stringify(now)}`);
    return now;
  }, `${who} to receive two feeds`, 60_000);
  await eventually(
    async () => {
      const now = await inbound(tab);
      assert.equal(now.length, 2);
      for (const [i, feed] of now.entries()) {
        const was = before[i]!;
        assert.ok(feed.videoBytes > was.videoBytes && feed.framesDecoded > was.framesDecoded + 10 && feed.audioBytes > was.audioBytes, `${who}: ${JSON.stringify(before)} -> ${JSON.stringify(now)}`);
      }
    },
    `media from both others to flow to ${who}`,
    60_000,
  );
}

/** Whether the tracks this page publishes (senders of its open connections) are enabled, by kind. */
async function publishedEnabled(tab: Page): Promise<{ audio: boolean[]; video: boolean[] }> {
  return tab.evaluate(() => {
    const senders = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.filter((pc) => pc.connectionState !== 'closed').flatMap((pc) => pc.getSenders());
    const of = (kind: string) => senders.flatMap((sender) => (sender.track?.kind === kind ? [sender.track.enabled] : []));
    return { audio: of('audio'), video: of('video') };
  });
}

async function openStates(tab: Page): Promise<string[]> {
  return tab.evaluate(() => (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.map((pc) => pc.connectionState).filter((state) => state !== 'closed'));
}
