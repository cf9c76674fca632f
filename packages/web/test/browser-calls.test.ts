import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createUser, expectOk, http, type TestApp, type TestUser } from '../../server/test/support/test-app.ts';
import { browserSkipReason, eventually, screenshot } from './support/browser.ts';
import { type BrowserSuite, startBrowserSuite } from './support/suite.ts';
import { openAs, openConversation, uniqueHandle } from './support/chat.ts';
import { type Coturn, coturnSkipReason, startCoturn } from './support/coturn.ts';
import { loopbackIsolation, runInLoopbackNamespace } from './support/netns.ts';

/**
 * Calls in the web client with real media (issue 17): Chromium's fake camera and
 * microphone, two people in two browser contexts, WebRTC between them over loopback
 * (directly, and forced through a coturn this suite starts), signaling through the
 * Parley socket. Everything binds to 127.0.0.1; as root the file re-runs itself inside a
 * network namespace that has only loopback (support/netns.ts), so no packet leaves the machine.
 */
const skip = browserSkipReason() || coturnSkipReason();
if (skip) console.log(`# ${skip}`);
const isolation = loopbackIsolation();
if (!skip) console.log(`# ${isolation.reason}`);

describe('calls in the web client, isolated from the network', { skip: skip || isolation.mode !== 'outside' }, () => {
  it('passes every call test inside a network namespace that has only loopback', { timeout: 1_200_000 }, async () => {
    const run = await runInLoopbackNamespace(import.meta.url, 300_000);
    assert.equal(run.code, 0, `the suite failed inside the namespace:\n${run.output.slice(-4000)}`);
    // A run that ran nothing must not pass for one that passed.
    assert.deepEqual([run.passed, run.failed], [4, 0], 'all four call tests ran and passed inside the namespace');
  });
});

const MEDIA_SWITCHES = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection', '--autoplay-policy=no-user-gesture-required', '--auto-select-desktop-capture-source=Entire screen'];

type Person = Awaited<ReturnType<typeof openAs>>;

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

interface MediaStats {
  videoBytes: number;
  framesDecoded: number;
  audioBytes: number;
  /** Candidate types (host, srflx, relay) of the selected pair, local then remote, per open connection. */
  pairs: string[];
  policies: string[];
}

/** What the page's open peer connections received so far, from getStats. */
async function mediaStats(page: Page): Promise<MediaStats> {
  return page.evaluate(async () => {
    const result = { videoBytes: 0, framesDecoded: 0, audioBytes: 0, pairs: [] as string[], policies: [] as string[] };
    for (const pc of (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs) {
      if (pc.connectionState === 'closed') continue;
      result.policies.push(pc.getConfiguration().iceTransportPolicy ?? 'all');
      const stats = await pc.getStats();
      const byId = new Map<string, any>();
      stats.forEach((report: any) => byId.set(report.id, report));
      for (const report of byId.values()) {
        if (report.type === 'inbound-rtp' && report.kind === 'video') {
          result.videoBytes += report.bytesReceived ?? 0;
          result.framesDecoded += report.framesDecoded ?? 0;
        }
        if (report.type === 'inbound-rtp' && report.kind === 'audio') result.audioBytes += report.bytesReceived ?? 0;
        if (report.type === 'transport' && report.selectedCandidatePairId) {
          const pair = byId.get(report.selectedCandidatePairId);
          result.pairs.push(`${byId.get(pair?.localCandidateId)?.candidateType}/${byId.get(pair?.remoteCandidateId)?.candidateType}`);
        }
      }
    }
    return result;
  });
}

/** Waits until video bytes, decoded frames and audio bytes all grow past what they are now. */
async function mediaFlows(page: Page, who: string): Promise<MediaStats> {
  const before = await mediaStats(page);
  return eventually(
    async () => {
      const now = await mediaStats(page);
      assert.ok(now.videoBytes > before.videoBytes && now.framesDecoded > before.framesDecoded + 10 && now.audioBytes > before.audioBytes, `${who}: ${JSON.stringify(before)} -> ${JSON.stringify(now)}`);
      return now;
    },
    `media to flow to ${who}`,
    30_000,
  );
}

/** The outgoing track of the page's open connections, by kind: whether it sends, and what it is (camera or screen). */
async function senders(page: Page): Promise<Array<{ kind: string; enabled: boolean; label: string }>> {
  return page.evaluate(() =>
    (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs
      .filter((pc) => pc.connectionState !== 'closed')
      .flatMap((pc) => pc.getSenders().flatMap((sender) => (sender.track ? [{ kind: sender.track.kind, enabled: sender.track.enabled, label: sender.track.label }] : []))),
  );
}

async function notices(page: Page): Promise<string[]> {
  return page.locator('.messages > li[data-row="notice"]').allTextContents();
}

function tile(page: Page, userId: string) {
  return page.locator(`.call-window .call-tile[data-user-id="${userId}"]`);
}

describe('calls in the web client, with real media in Chromium', { skip: skip || isolation.mode === 'outside' }, () => {
  let suite: BrowserSuite | undefined;
  let coturn: Coturn | undefined;
  let server: TestApp;
  let browser: Browser;
  const people: Person[] = [];
  const post = async (user: TestUser, path: string, body: unknown = {}) => expectOk(await http(server.url, 'POST', path, { token: user.token, body }), `POST ${path}`);

  /** A signed-in browser whose peer connections the test can read. */
  async function person(user: TestUser): Promise<Person> {
    const opened = await openAs(browser, server, user);
    await opened.context.addInitScript(trackPeerConnections);
    await opened.page.reload();
    await opened.page.getByRole('button', { name: 'New chat' }).waitFor();
    people.push(opened);
    return opened;
  }

  before(async () => {
    coturn = await startCoturn();
    try {
      suite = await startBrowserSuite({ env: { TURN_URLS: coturn.url, TURN_SECRET: coturn.secret }, browserArgs: MEDIA_SWITCHES });
    } catch (error) {
      await coturn.stop();
      throw error;
    }
    ({ server, browser } = suite);
  });

  after(async () => {
    await Promise.allSettled(people.map((p) => p.context.close()));
    await suite?.close();
    await coturn?.stop();
  });

  it('a 1:1 video call through the UI: rings every device, media flows both ways, mute, camera, screen, speaking, end; the timeline says so', async () => {
    const [ada, ben] = await Promise.all([createUser(server.url, uniqueHandle('ada')), createUser(server.url, uniqueHandle('ben'))]);
    await post(ada, '/v1/conversations', { kind: 'direct', userId: ben.user.id });
    const [A, A2, B] = [await person(ada), await person(ada), await person(ben)];
    await openConversation(A.page, ben.user.displayName);
    await openConversation(B.page, ada.user.displayName);

    await B.page.getByRole('button', { name: 'Start video call' }).click();
    await B.page.getByRole('region', { name: `Call: ${ada.user.displayName}` }).getByText('Calling…').waitFor();
    const ringName = `Incoming video call from ${ben.user.displayName}`;
    const ring = A.page.getByRole('alertdialog', { name: ringName });
    await Promise.all([ring.waitFor(), A2.page.getByRole('alertdialog', { name: ringName }).waitFor()]);
    await ring.getByRole('button', { name: 'Accept' }).click();
    // The other device of the callee stops ringing once one answered.
    await A2.page.getByRole('alertdialog', { name: ringName }).waitFor({ state: 'detached', timeout: 15_000 });
    assert.equal(await A2.page.locator('.call-window').count(), 0, 'the device that did not answer shows no call');

    await tile(A.page, ben.user.id).and(A.page.locator('[data-peer-state="connected"]')).waitFor({ timeout: 30_000 });
    await tile(B.page, ada.user.id).and(B.page.locator('[data-peer-state="connected"]')).waitFor({ timeout: 30_000 });
    const [atAda, atBen] = await Promise.all([mediaFlows(A.page, 'Ada'), mediaFlows(B.page, 'Ben')]);
    assert.deepEqual(atAda.pairs, ['host/host'], 'on one machine the peers connect directly');
    assert.deepEqual(atBen.pairs, ['host/host']);
    // The fake microphone beeps: each side sees the other speak.
    await tile(A.page, ben.user.id).and(A.page.locator('[data-speaking="true"]')).waitFor({ timeout: 20_000 });
    await tile(B.page, ada.user.id).and(B.page.locator('[data-speaking="true"]')).waitFor({ timeout: 20_000 });
    await screenshot(B.page, 'call-1to1-video');

    // Mute: the microphone track stops sending, and Ada stops seeing Ben speak.
    const controls = B.page.getByRole('toolbar', { name: 'Call controls' });
    await controls.getByRole('button', { name: 'Mute' }).click();
    await controls.getByRole('button', { name: 'Unmute' }).waitFor();
    assert.deepEqual((await senders(B.page)).filter((s) => s.kind === 'audio').map((s) => s.enabled), [false]);
    await tile(A.page, ben.user.id).and(A.page.locator('[data-speaking="false"]')).waitFor({ timeout: 10_000 });
    await controls.getByRole('button', { name: 'Unmute' }).click();
    assert.deepEqual((await senders(B.page)).filter((s) => s.kind === 'audio').map((s) => s.enabled), [true]);

    // Camera off and on again: the camera track is disabled, not renegotiated.
    await controls.getByRole('button', { name: 'Camera off' }).click();
    assert.deepEqual((await senders(B.page)).filter((s) => s.kind === 'video').map((s) => s.enabled), [false]);
    await controls.getByRole('button', { name: 'Camera on' }).click();
    assert.deepEqual((await senders(B.page)).filter((s) => s.kind === 'video').map((s) => s.enabled), [true]);

    // Screen share replaces the camera on the same sender, and back.
    const camera = (await senders(B.page)).find((s) => s.kind === 'video')!.label;
    await controls.getByRole('button', { name: 'Share screen' }).click();
    await controls.getByRole('button', { name: 'Stop sharing' }).waitFor();
    const shared = (await senders(B.page)).find((s) => s.kind === 'video')!.label;
    assert.notEqual(shared, camera, 'the video sender carries the screen');
    await mediaFlows(A.page, 'Ada, watching the screen');
    await controls.getByRole('button', { name: 'Stop sharing' }).click();
    await controls.getByRole('button', { name: 'Share screen' }).waitFor();
    assert.equal((await senders(B.page)).find((s) => s.kind === 'video')!.label, camera);

    // Ending a 1:1 call ends it for both; the timelines show its length.
    await controls.getByRole('button', { name: 'End call' }).click();
    await Promise.all([A.page.locator('.call-window').waitFor({ state: 'detached' }), B.page.locator('.call-window').waitFor({ state: 'detached' })]);
    for (const page of [A.page, B.page]) {
      await eventually(async () => assert.match((await notices(page)).at(-1) ?? '', /^Call, \d+ (s|min)$/u), 'the call line');
    }
    assert.deepEqual(await A.page.evaluate(() => (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.map((pc) => pc.connectionState)), ['closed']);

    // A call the caller hangs up before an answer: "Missed call" for the callee.
    await B.page.getByRole('button', { name: 'Start voice call' }).click();
    await A.page.getByRole('alertdialog', { name: `Incoming voice call from ${ben.user.displayName}` }).waitFor();
    await controls.getByRole('button', { name: 'End call' }).click();
    await A.page.locator('.incoming-call').waitFor({ state: 'detached', timeout: 15_000 });
    await eventually(async () => assert.equal((await notices(A.page)).at(-1), 'Missed call'), 'the missed call line at Ada', 15_000);
    await eventually(async () => assert.equal((await notices(B.page)).at(-1), 'Cancelled call'), 'the cancelled call line at Ben', 15_000);

    // Declined: the caller's window closes and says so.
    await B.page.getByRole('button', { name: 'Start voice call' }).click();
    await A.page.getByRole('alertdialog', { name: `Incoming voice call from ${ben.user.displayName}` }).getByRole('button', { name: 'Decline' }).click();
    await B.page.locator('.call-window').waitFor({ state: 'detached', timeout: 15_000 });
    await B.page.locator('.toast', { hasText: 'Call declined' }).waitFor();
    await eventually(async () => assert.equal((await notices(B.page)).at(-1), 'Call declined'), 'the declined line', 15_000);
    for (const p of [A, A2, B]) assert.deepEqual(p.errors, []);
  });

  it('the same call forced through TURN ("Always relay calls"): every connection relays through coturn, and media flows both ways', async () => {
    const [cleo, dan] = await Promise.all([createUser(server.url, uniqueHandle('cleo')), createUser(server.url, uniqueHandle('dan'))]);
    await post(cleo, '/v1/conversations', { kind: 'direct', userId: dan.user.id });
    const [C, D] = [await person(cleo), await person(dan)];
    for (const p of [C, D]) {
      await p.page.getByRole('button', { name: 'Settings and profile' }).click();
      const dialog = p.page.getByRole('dialog');
      await dialog.getByLabel('Always relay calls').check();
      await p.page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' }).catch(() => {});
    }
    await openConversation(C.page, dan.user.displayName);
    await openConversation(D.page, cleo.user.displayName);
    await C.page.getByRole('button', { name: 'Start video call' }).click();
    await D.page.getByRole('alertdialog', { name: `Incoming video call from ${cleo.user.displayName}` }).getByRole('button', { name: 'Accept' }).click();
    await tile(C.page, dan.user.id).and(C.page.locator('[data-peer-state="connected"]')).waitFor({ timeout: 30_000 });
    const [atCleo, atDan] = await Promise.all([mediaFlows(C.page, 'Cleo'), mediaFlows(D.page, 'Dan')]);
    assert.deepEqual(atCleo.policies, ['relay']);
    assert.deepEqual(atDan.policies, ['relay']);
    assert.deepEqual(atCleo.pairs, ['relay/relay'], 'both ends of the pair are coturn relay addresses');
    assert.deepEqual(atDan.pairs, ['relay/relay']);
    await C.page.getByRole('toolbar', { name: 'Call controls' }).getByRole('button', { name: 'End call' }).click();
    await D.page.locator('.call-window').waitFor({ state: 'detached', timeout: 15_000 });
  });

  it('coturn refuses an expired TURN credential and allocates with a fresh one (a real allocation from the browser)', async () => {
    const eve = await createUser(server.url, uniqueHandle('eve'));
    const E = await person(eve);
    const now = Math.floor(Date.now() / 1000);
    const gather = (server: { username: string; credential: string }) =>
      E.page.evaluate(
        async ({ url, username, credential }) => {
          const pc = new RTCPeerConnection({ iceServers: [{ urls: [url], username, credential }], iceTransportPolicy: 'relay' });
          const types: string[] = [];
          const errors: number[] = [];
          pc.addEventListener('icecandidateerror', (event) => errors.push((event as RTCPeerConnectionIceErrorEvent).errorCode));
          const done = new Promise<void>((resolve) => {
            pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
            pc.addEventListener('icecandidate', (event) => (event.candidate ? types.push(event.candidate.type ?? '?') : resolve()));
          });
          pc.createDataChannel('probe');
          await pc.setLocalDescription(await pc.createOffer());
          await done;
          pc.close();
          return { types, errors };
        },
        { url: coturn!.url, ...server },
      );
    const expired = await gather(coturn!.credential(eve.user.id, now - 60));
    assert.deepEqual(expired.types, [], 'no relay candidate with an expired credential');
    assert.ok(expired.errors.includes(401), `coturn answers 401 Unauthorized (errors: ${expired.errors})`);
    // The same user, the same secret, an expiry in the future: allocated.
    const fresh = await gather(coturn!.credential(eve.user.id, now + 600));
    assert.ok(fresh.types.includes('relay'), `a relay candidate with a fresh credential (got ${fresh.types})`);
    // And what the server hands out works the same way: a call's own media credentials.
    const [fay] = await Promise.all([createUser(server.url, uniqueHandle('fay'))]);
    const { conversation } = await post(eve, '/v1/conversations', { kind: 'direct', userId: fay.user.id });
    const started = await post(eve, `/v1/conversations/${conversation.id}/calls`, { kind: 'voice' });
    const turn = started.media.iceServers.find((s: { urls: string[] }) => s.urls.some((u) => u.startsWith('turn:')));
    const handedOut = await gather({ username: turn.username, credential: turn.credential });
    assert.ok(handedOut.types.includes('relay'), 'the credential Parley issued allocates');
    await post(eve, `/v1/calls/${started.call.id}/end`);
  });

  it('refusals: outsiders and banned members cannot start or join, members without start_calls see no call buttons and are refused', async () => {
    const [gil, hal, ida, jon] = await Promise.all(['gil', 'hal', 'ida', 'jon'].map((name) => createUser(server.url, uniqueHandle(name))));
    const { conversation: room } = await post(gil, '/v1/conversations', { kind: 'group', title: 'Call rights', memberIds: [hal.user.id, ida.user.id] });
    const started = await post(gil, `/v1/conversations/${room.id}/calls`, { kind: 'video' });
    const callId = started.call.id as string;
    const refused = async (user: TestUser, path: string, body: unknown, status: number, code: string) => {
      const result = await http(server.url, 'POST', path, { token: user.token, body });
      assert.deepEqual([result.status, result.body?.error?.code], [status, code], `${user.user.handle} POST ${path}`);
    };
    // An outsider (jon) can neither start nor join; the answer does not tell whether the call exists.
    await refused(jon, `/v1/conversations/${room.id}/calls`, { kind: 'voice' }, 404, 'not_found');
    await refused(jon, `/v1/calls/${callId}/join`, {}, 404, 'not_found');
    // A banned member (ida) is out of the call and refused like an outsider.
    await post(gil, `/v1/conversations/${room.id}/bans`, { userId: ida.user.id });
    await refused(ida, `/v1/conversations/${room.id}/calls`, { kind: 'voice' }, 404, 'not_found');
    await refused(ida, `/v1/calls/${callId}/join`, {}, 404, 'not_found');
    await post(gil, `/v1/calls/${callId}/end`);
    // Members without start_calls: no call buttons in the header, and the server refuses a start.
    expectOk(await http(server.url, 'PATCH', `/v1/conversations/${room.id}`, { token: gil.token, body: { settings: { memberRights: ['send_messages'] } } }), 'rights');
    const H = await person(hal);
    await openConversation(H.page, 'Call rights');
    assert.equal(await H.page.getByRole('button', { name: /Start (voice|video) call/u }).count(), 0);
    await refused(hal, `/v1/conversations/${room.id}/calls`, { kind: 'voice' }, 403, 'forbidden');
    // The owner still may, and sees the buttons.
    const G = await person(gil);
    await openConversation(G.page, 'Call rights');
    await G.page.getByRole('button', { name: 'Start voice call' }).waitFor();
  });
});
