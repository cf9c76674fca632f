import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findFfmpeg } from '../src/modules/media/ffmpeg.ts';
import { backends } from './support/backends.ts';
import { call } from './support/api.ts';
import { uploadOk } from './support/media-files.ts';
import { createUser, startApp, type TestApp } from './support/test-app.ts';

/**
 * What the server learns with ffmpeg beside it (`MEDIA_FFMPEG`): the waveform and length of
 * a browser's Opus voice note, a video's size and first frame, GIF and WebP previews. The
 * files are made by ffmpeg here, as a recorder or camera would make them.
 */
const programs = await findFfmpeg('auto');
const skip = programs ? false : 'ffmpeg is not installed (apt-get install ffmpeg): compressed audio, video, GIF and WebP inspection not checked';
if (!programs && process.env.CI === 'true') throw new Error('ffmpeg is not installed and CI=true (.ci/run installs it)');
if (skip) console.log(`# ${skip}`);

const work = mkdtempSync(join(tmpdir(), 'parley-ffmpeg-test-'));
function make(name: string, args: string[]): Buffer {
  const file = join(work, name);
  execFileSync(programs!.ffmpeg, ['-hide_banner', '-loglevel', 'error', '-y', ...args, file]);
  return readFileSync(file);
}

/** The waveform's bars, 0–255 each. */
const bars = (waveform: string) => [...Buffer.from(waveform, 'base64url')];

describe('media inspection with ffmpeg', { skip }, () => {
  let voice: Buffer, silenceThenTone: Buffer, video: Buffer, gif: Buffer, webp: Buffer;
  before(() => {
    voice = make('voice.webm', ['-f', 'lavfi', '-i', 'sine=frequency=440:duration=2', '-c:a', 'libopus']);
    // A second of silence, then a second of tone: the waveform's first half is flat.
    silenceThenTone = make('half.ogg', ['-f', 'lavfi', '-i', 'anullsrc=r=48000:cl=mono:d=1', '-f', 'lavfi', '-i', 'sine=frequency=300:duration=1', '-filter_complex', '[0][1]concat=n=2:v=0:a=1', '-c:a', 'libopus']);
    video = make('clip.webm', ['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10:duration=1', '-c:v', 'libvpx', '-b:v', '200k']);
    gif = make('pic.gif', ['-f', 'lavfi', '-i', 'testsrc=size=200x100:rate=1', '-frames:v', '1']);
    webp = make('pic.webp', ['-f', 'lavfi', '-i', 'testsrc=size=640x480:rate=1', '-frames:v', '1', '-c:v', 'libwebp']);
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  for (const backend of backends) {
    describe(backend.name, () => {
      let t: TestApp;
      before(async () => {
        t = await startApp(backend, { env: { MEDIA_FFMPEG: 'auto', MEDIA_SWEEP_INTERVAL_MS: '0' } });
      });
      after(() => t.close());

      it('gives a browser\'s Opus voice note its length and a waveform', async () => {
        const alice = await createUser(t.url);
        const note = await uploadOk(t, alice, voice, 'voice-note.webm', { kind: 'voice' });
        assert.equal(note.kind, 'voice');
        assert.ok(Math.abs(note.durationMs - 2000) <= 100, `about two seconds: ${note.durationMs}`);
        assert.equal(bars(note.waveform).length, 64);
        // ffmpeg's sine source plays at an eighth of full scale: every bar near 32 of 255.
        assert.ok(bars(note.waveform).every((bar) => bar >= 25 && bar <= 40), `a steady tone, every bar alike: ${bars(note.waveform)}`);
        const half = await uploadOk(t, alice, silenceThenTone, 'half.ogg', { kind: 'voice' });
        const levels = bars(half.waveform);
        assert.ok(levels.slice(2, 30).every((bar) => bar < 5), `silence first: ${levels.slice(0, 32)}`);
        assert.ok(levels.slice(34).every((bar) => bar >= 25), `then the tone: ${levels.slice(32)}`);
      });

      it('gives a video its size and a preview of its first frame', async () => {
        const alice = await createUser(t.url);
        const clip = await uploadOk(t, alice, video, 'clip.webm');
        assert.equal(clip.kind, 'video');
        assert.deepEqual([clip.width, clip.height], [320, 240]);
        assert.deepEqual(clip.thumbnail, { width: 320, height: 240 });
        assert.ok(Math.abs(clip.durationMs - 1000) <= 100, `about a second: ${clip.durationMs}`);
        const { url } = (await call(t, alice, 'GET', `/v1/files/${clip.id}/url?variant=thumbnail`)).body;
        const preview = await fetch(new URL(url, t.url));
        assert.equal(preview.headers.get('content-type'), 'image/jpeg');
        assert.deepEqual([...Buffer.from(await preview.arrayBuffer()).subarray(0, 2)], [0xff, 0xd8]);
      });

      it('makes previews of GIF and WebP pictures, no larger than 320 px', async () => {
        const alice = await createUser(t.url);
        const animated = await uploadOk(t, alice, gif, 'pic.gif');
        assert.deepEqual([animated.type, animated.width, animated.height, animated.thumbnail], ['image/gif', 200, 100, { width: 200, height: 100 }]);
        const photo = await uploadOk(t, alice, webp, 'pic.webp');
        assert.deepEqual([photo.type, photo.width, photo.height, photo.thumbnail], ['image/webp', 640, 480, { width: 320, height: 240 }]);
      });

      it('learns nothing from a file ffmpeg cannot decode, and still takes it', async () => {
        const alice = await createUser(t.url);
        // A WebM header followed by noise: the type is audio/webm, the contents are not.
        const broken = Buffer.concat([voice.subarray(0, 64), randomBytes(4096)]);
        const file = await uploadOk(t, alice, broken, 'broken.webm', { kind: 'voice' });
        assert.equal(file.kind, 'voice');
        assert.equal(file.waveform, null);
      });
    });
  }

  describe('with MEDIA_FFMPEG=off', () => {
    let t: TestApp;
    before(async () => {
      t = await startApp(backends[0]!, { env: { MEDIA_FFMPEG: 'off', MEDIA_SWEEP_INTERVAL_MS: '0' } });
    });
    after(() => t.close());

    it('stores the same files without waveforms or previews', async () => {
      const alice = await createUser(t.url);
      const note = await uploadOk(t, alice, voice, 'voice-note.webm', { kind: 'voice' });
      assert.equal(note.waveform, null);
      const clip = await uploadOk(t, alice, video, 'clip.webm');
      assert.equal(clip.thumbnail, null);
      const photo = await uploadOk(t, alice, webp, 'pic.webp');
      assert.equal(photo.thumbnail, null);
    });
  });
});
