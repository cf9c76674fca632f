import { createHash } from 'node:crypto';
import { opendir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { crc32 } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import type { TestApp, TestUser } from './test-app.ts';

/** Files the media suites upload, made here so each test knows exactly what is inside. */

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A real PNG (red on a transparent half) with a text chunk that names where it was taken. */
export function pngWithText(width = 64, height = 48): Buffer {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) png.data.set([255, 0, 0, i % width < width / 2 ? 255 : 0], i * 4);
  const plain = PNG.sync.write(png);
  // After the signature (8) and IHDR (25 bytes).
  return Buffer.concat([plain.subarray(0, 33), pngChunk('tEXt', Buffer.from('Location\u000052.5200 N, 13.4050 E', 'latin1')), plain.subarray(33)]);
}

/** A PNG header that claims an enormous picture: the decompression bomb's shape. */
export function pngBomb(): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(100_000, 0);
  ihdr.writeUInt32BE(100_000, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', Buffer.alloc(64)), pngChunk('IEND', Buffer.alloc(0))]);
}

/** A JPEG with an EXIF segment: orientation 6 (rotate 90°) and a GPS tag's name in it, as phones write them. */
export function jpegWithExif(width = 80, height = 40): Buffer {
  const data = Buffer.alloc(width * height * 4, 200);
  const plain = jpeg.encode({ width, height, data }, 80).data;
  const tiff = Buffer.alloc(38);
  tiff.write('MM', 0, 'latin1');
  tiff.writeUInt16BE(42, 2);
  tiff.writeUInt32BE(8, 4);
  tiff.writeUInt16BE(1, 8);
  tiff.writeUInt16BE(0x0112, 10);
  tiff.writeUInt16BE(3, 12);
  tiff.writeUInt32BE(1, 14);
  tiff.writeUInt16BE(6, 18);
  tiff.writeUInt32BE(0, 22);
  tiff.write('GPSLatitude', 26, 'latin1');
  const payload = Buffer.concat([Buffer.from('Exif\u0000\u0000', 'latin1'), tiff]);
  const header = Buffer.alloc(4);
  header.writeUInt16BE(0xffe1, 0);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([plain.subarray(0, 2), header, payload, plain.subarray(2)]);
}

/** One second of 8 kHz 16-bit mono PCM WAV: silence, then a loud half. */
export function wav(): Buffer {
  const samples = 8000;
  const data = Buffer.alloc(samples * 2);
  for (let i = samples / 2; i < samples; i++) data.writeInt16LE(i % 2 === 0 ? 30000 : -30000, i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(8000, 24);
  header.writeUInt32LE(16000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** The ELF header of a Linux program: a type no chat allows. */
export const elf = () => Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(120, 1)]);

export const EICAR = 'X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*';

export interface Uploaded {
  status: number;
  body: any;
}

/** POST /v1/uploads with the bytes as the body, as the SDK sends them. */
export async function upload(t: TestApp, user: TestUser, bytes: Uint8Array, name: string, options: { kind?: 'voice'; contentType?: string } = {}): Promise<Uploaded> {
  const query = new URLSearchParams({ name, ...(options.kind ? { kind: options.kind } : {}) });
  const response = await fetch(`${t.url}/v1/uploads?${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${user.token}`, 'content-type': options.contentType ?? 'application/octet-stream' },
    body: bytes as Uint8Array<ArrayBuffer>,
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

export async function uploadOk(t: TestApp, user: TestUser, bytes: Uint8Array, name: string, options: { kind?: 'voice' } = {}): Promise<any> {
  const result = await upload(t, user, bytes, name, options);
  if (result.status !== 200) throw new Error(`upload ${name} failed: ${result.status} ${JSON.stringify(result.body)}`);
  return result.body.file;
}

/** Every file below the local store's folder (temporary ones included). */
export function storedFiles(t: TestApp): Promise<string[]> {
  return filesBelow(join(t.store.dataDir, 'blobs'));
}

/** Every file below `root`, as `/`-separated paths relative to it (none when it does not exist). */
export async function filesBelow(root: string): Promise<string[]> {
  const files: string[] = [];
  try {
    for await (const entry of await opendir(root, { recursive: true })) {
      if (entry.isFile()) files.push(relative(root, join(entry.parentPath, entry.name)).split(sep).join('/'));
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return files.sort();
}

/** The upload rows in the app's database. */
export async function uploadRows(t: TestApp): Promise<Array<{ id: string; owner_id: string; expires_at: number | null; purge_after: number | null }>> {
  return t.app.db.kysely.selectFrom('uploads').select(['id', 'owner_id', 'expires_at', 'purge_after']).execute() as never;
}
