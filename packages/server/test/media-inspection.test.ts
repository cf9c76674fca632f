import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { detectContentType, isAllowedType, kindOf } from '../src/modules/media/file-inspection.ts';
import { createMetadataStripper, exifOrientation } from '../src/modules/media/metadata-stripper.ts';
import { parseRangeHeader } from '../src/modules/media/index.ts';
import { elf, jpegWithExif, pngWithText, wav } from './support/media-files.ts';

/** Runs bytes through a stripper in chunks of `size` (1: every boundary is hit). */
async function strip(type: string, bytes: Buffer, size: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  const stripper = createMetadataStripper(type)!;
  const out: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    Readable.from(chunks).pipe(stripper).on('data', (chunk: Buffer) => out.push(chunk)).on('end', resolve).on('error', reject);
    stripper.on('error', reject);
  });
  return Buffer.concat(out);
}

describe('looking at files', () => {
  it('tells types by their bytes', async () => {
    assert.equal(await detectContentType(pngWithText()), 'image/png');
    assert.equal(await detectContentType(jpegWithExif()), 'image/jpeg');
    assert.equal(await detectContentType(wav()), 'audio/wav');
    assert.equal(await detectContentType(elf()), 'application/x-elf');
    assert.equal(await detectContentType(Buffer.from('plain text, ünïcode too\n')), 'text/plain');
    // UTF-8 cut in the middle of a character at the end of the head is still text.
    assert.equal(await detectContentType(Buffer.from('abc€').subarray(0, 5)), 'text/plain');
    assert.equal(await detectContentType(Buffer.from([0, 1, 2, 3, 0xff, 0xfe])), 'application/octet-stream');
  });

  it('checks the allow-list by type or family, and names kinds', () => {
    assert.equal(isAllowedType('video/mp4', ['video/*']), true);
    assert.equal(isAllowedType('image/png', ['image/jpeg']), false);
    assert.deepEqual([kindOf('image/png', false), kindOf('audio/ogg', true), kindOf('audio/ogg', false), kindOf('video/webm', true), kindOf('image/heic', false)], ['image', 'voice', 'audio', 'voice', 'file']);
  });

  it('strips PNG text chunks and JPEG EXIF whatever the chunk boundaries, keeping the orientation', async () => {
    const png = pngWithText();
    const whole = await strip('image/png', png, png.length);
    assert.equal(whole.includes(Buffer.from('Location')), false);
    assert.deepEqual(await strip('image/png', png, 1), whole);
    const jpeg = jpegWithExif();
    const stripped = await strip('image/jpeg', jpeg, 7);
    assert.equal(stripped.includes(Buffer.from('GPSLatitude')), false);
    assert.deepEqual(await strip('image/jpeg', jpeg, 1), stripped);
    const app1 = stripped.indexOf(Buffer.from([0xff, 0xe1]));
    assert.equal(exifOrientation(stripped.subarray(app1 + 4)), 6);
  });

  it('refuses what is not the image it claims to be', async () => {
    await assert.rejects(strip('image/png', Buffer.from('not a png at all'), 4), { code: 'unsupported_media_type' });
    await assert.rejects(strip('image/jpeg', Buffer.from([0xff, 0xd8, 0x00, 0x01]), 1), { code: 'unsupported_media_type' });
    // A JPEG that ends before its image data.
    await assert.rejects(strip('image/jpeg', jpegWithExif().subarray(0, 40), 8), { code: 'unsupported_media_type' });
  });

  it('reads one byte range of a Range header and ignores the rest, as HTTP allows', () => {
    assert.deepEqual(parseRangeHeader('bytes=0-99'), { start: 0, end: 99 });
    assert.deepEqual(parseRangeHeader('bytes=100-'), { start: 100 });
    assert.deepEqual(parseRangeHeader('bytes=-500'), { suffix: 500 });
    for (const ignored of [undefined, '', 'bytes=-', 'bytes=5-1', 'bytes=0-1,5-9', 'items=0-1', 'bytes=-0', 'bytes=abc']) assert.equal(parseRangeHeader(ignored), undefined, String(ignored));
  });
});
