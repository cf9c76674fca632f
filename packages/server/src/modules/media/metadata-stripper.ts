import { Transform, type TransformCallback } from 'node:stream';
import { AppError } from '../../platform/errors.ts';

/**
 * Removes what a camera or editor writes about a picture — EXIF (GPS position, device,
 * time), XMP, IPTC and comments — while the bytes stream to the store, without decoding
 * the image: JPEG loses its APP1 and APP13 segments and comments (an EXIF orientation is
 * kept, as a minimal EXIF segment of that one tag, so photos stay upright); PNG loses its
 * text, time and eXIf chunks. The pixels are untouched. Other types pass unchanged (null).
 */
export function createMetadataStripper(contentType: string): Transform | null {
  if (contentType === 'image/jpeg') return new JpegStripper();
  if (contentType === 'image/png') return new PngStripper();
  return null;
}

const notImage = () => new AppError('unsupported_media_type', 'The file is not a valid image.');

/** JPEG: markers and their segments up to the start of scan, then everything as it is. */
class JpegStripper extends Transform {
  private pending: Buffer = Buffer.alloc(0);
  private started = false;
  private scanning = false;
  /** The EXIF orientation (1–8) found, written back as the only EXIF tag. */
  orientation: number | null = null;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.scanning) return callback(null, chunk);
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    try {
      this.consume();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    // A file that ends before its image data is not an image.
    callback(this.scanning ? null : notImage());
  }

  private consume(): void {
    let at = 0;
    const data = this.pending;
    if (!this.started) {
      if (data.length < 2) return;
      if (data[0] !== 0xff || data[1] !== 0xd8) throw notImage();
      this.push(data.subarray(0, 2));
      at = 2;
      this.started = true;
    }
    while (at < data.length) {
      if (data[at] !== 0xff) throw notImage();
      if (at + 1 >= data.length) break;
      const marker = data[at + 1]!;
      if (marker === 0xff) {
        at += 1; // fill byte
        continue;
      }
      if (at + 4 > data.length) break;
      const length = data.readUInt16BE(at + 2);
      if (length < 2) throw notImage();
      if (marker === 0xda) {
        // Start of scan: the rest is image data (and the markers inside it), passed as it is.
        this.scanning = true;
        this.push(data.subarray(at));
        this.pending = Buffer.alloc(0);
        return;
      }
      const end = at + 2 + length;
      if (end > data.length) break;
      const segment = data.subarray(at, end);
      if (marker === 0xe1) {
        const orientation = exifOrientation(segment.subarray(4));
        if (orientation !== null && this.orientation === null) {
          this.orientation = orientation;
          this.push(orientationSegment(orientation));
        }
      } else if (marker !== 0xed && marker !== 0xfe) {
        this.push(segment);
      }
      at = end;
    }
    this.pending = data.subarray(at);
  }
}

/** The orientation tag (0x0112) of an EXIF payload (`Exif\0\0` + TIFF), or null. */
export function exifOrientation(payload: Buffer): number | null {
  if (payload.length < 14 || payload.toString('latin1', 0, 6) !== 'Exif\u0000\u0000') return null;
  const tiff = payload.subarray(6);
  const little = tiff.toString('latin1', 0, 2) === 'II';
  if (!little && tiff.toString('latin1', 0, 2) !== 'MM') return null;
  const u16 = (offset: number) => (little ? tiff.readUInt16LE(offset) : tiff.readUInt16BE(offset));
  const u32 = (offset: number) => (little ? tiff.readUInt32LE(offset) : tiff.readUInt32BE(offset));
  const ifd = u32(4);
  if (ifd + 2 > tiff.length) return null;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > tiff.length) return null;
    if (u16(entry) === 0x0112) {
      const value = u16(entry + 8);
      return value >= 1 && value <= 8 ? value : null;
    }
  }
  return null;
}

/** An APP1 segment holding an EXIF with the orientation tag only. */
function orientationSegment(orientation: number): Buffer {
  const tiff = Buffer.alloc(26);
  tiff.write('MM', 0, 'latin1');
  tiff.writeUInt16BE(42, 2);
  tiff.writeUInt32BE(8, 4); // IFD0 right after the header
  tiff.writeUInt16BE(1, 8); // one entry
  tiff.writeUInt16BE(0x0112, 10);
  tiff.writeUInt16BE(3, 12); // SHORT
  tiff.writeUInt32BE(1, 14);
  tiff.writeUInt16BE(orientation, 18);
  tiff.writeUInt32BE(0, 22); // no next IFD
  const payload = Buffer.concat([Buffer.from('Exif\u0000\u0000', 'latin1'), tiff]);
  const header = Buffer.alloc(4);
  header.writeUInt16BE(0xffe1, 0);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([header, payload]);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Chunks that describe rather than draw: text (often with the software and author), time, EXIF. */
const PNG_DROPPED = new Set(['tEXt', 'zTXt', 'iTXt', 'tIME', 'eXIf']);

/** PNG: chunk by chunk; a chunk's data is streamed through (or skipped) without holding it. */
class PngStripper extends Transform {
  private pending: Buffer = Buffer.alloc(0);
  private started = false;
  /** Bytes of the current chunk (data and CRC) still to pass or skip. */
  private remaining = 0;
  private dropping = false;
  private ended = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let data: Buffer = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = Buffer.alloc(0);
    try {
      if (!this.started) {
        if (data.length < 8) {
          this.pending = data;
          return callback();
        }
        if (!data.subarray(0, 8).equals(PNG_SIGNATURE)) throw notImage();
        this.push(data.subarray(0, 8));
        data = data.subarray(8);
        this.started = true;
      }
      while (data.length > 0) {
        if (this.remaining > 0) {
          const take = Math.min(this.remaining, data.length);
          if (!this.dropping) this.push(data.subarray(0, take));
          this.remaining -= take;
          data = data.subarray(take);
          continue;
        }
        if (this.ended) {
          data = Buffer.alloc(0); // bytes after IEND are nothing an image needs
          break;
        }
        if (data.length < 8) {
          this.pending = data;
          break;
        }
        const length = data.readUInt32BE(0);
        const type = data.toString('latin1', 4, 8);
        if (!/^[A-Za-z]{4}$/.test(type) || length > 0x7fffffff) throw notImage();
        this.dropping = PNG_DROPPED.has(type);
        if (!this.dropping) this.push(data.subarray(0, 8));
        if (type === 'IEND') this.ended = true;
        this.remaining = length + 4;
        data = data.subarray(8);
      }
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    callback(this.ended && this.remaining === 0 ? null : notImage());
  }
}
