import { imageSize } from 'image-size';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { AppError } from '../../platform/errors.ts';

/** The longest side of a preview, in pixels. */
export const THUMBNAIL_MAX_SIDE = 320;
/** Images decoded for a preview at most: bigger ones (bytes or pixels) get none, they are still shown. */
export const THUMBNAIL_SOURCE_MAX_BYTES = 20 * 1024 * 1024;
export const THUMBNAIL_SOURCE_MAX_PIXELS = 25_000_000;
/** Bytes of the start of an image read to find its size (the header, past any metadata left). */
export const IMAGE_HEADER_BYTES = 256 * 1024;

export interface ImageDimensions {
  /** As displayed: after the EXIF orientation (a portrait photo stored sideways is tall). */
  width: number;
  height: number;
  orientation: number;
}

/**
 * Width and height from the image's header, without decoding it; refuses what is not an
 * image of its type (`unsupported_media_type`) and what has more than `maxPixels`
 * (`limit_exceeded`): a small file that would decode into gigabytes is a decompression bomb.
 */
export function readDimensions(header: Uint8Array, maxPixels: number): ImageDimensions {
  let size: ReturnType<typeof imageSize>;
  try {
    size = imageSize(header);
  } catch {
    throw new AppError('unsupported_media_type', 'The file is not a valid image.');
  }
  const { width, height } = size;
  if (!width || !height) throw new AppError('unsupported_media_type', 'The file is not a valid image.');
  if (width * height > maxPixels) {
    throw new AppError('limit_exceeded', `The image has ${width} × ${height} pixels; at most ${maxPixels} are accepted.`, { limit: maxPixels, width, height });
  }
  const orientation = size.orientation ?? 1;
  return orientation >= 5 ? { width: height, height: width, orientation } : { width, height, orientation };
}

interface Bitmap {
  width: number;
  height: number;
  /** RGBA, 4 bytes a pixel. */
  data: Uint8Array;
}

/**
 * A JPEG preview (longest side 320 px, upright, transparency on white) of a JPEG or PNG,
 * or null for a type this server does not decode. Decoding is pure JavaScript (jpeg-js,
 * pngjs) within the pixel and memory caps above; an image that fails to decode is refused.
 */
export function makeThumbnail(bytes: Buffer, contentType: string, orientation: number): { data: Buffer; width: number; height: number } | null {
  let source: Bitmap;
  try {
    if (contentType === 'image/jpeg') {
      source = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: THUMBNAIL_SOURCE_MAX_PIXELS / 1_000_000, maxMemoryUsageInMB: 256 });
    } else if (contentType === 'image/png') {
      const png = PNG.sync.read(bytes);
      source = { width: png.width, height: png.height, data: png.data };
    } else {
      return null;
    }
  } catch {
    throw new AppError('unsupported_media_type', 'The image cannot be decoded.');
  }
  const scale = Math.min(1, THUMBNAIL_MAX_SIDE / Math.max(source.width, source.height));
  const small = downscale(source, Math.max(1, Math.round(source.width * scale)), Math.max(1, Math.round(source.height * scale)));
  const upright = orient(small, orientation);
  const encoded = jpeg.encode({ width: upright.width, height: upright.height, data: Buffer.from(upright.data.buffer, upright.data.byteOffset, upright.data.byteLength) }, 75);
  return { data: encoded.data, width: upright.width, height: upright.height };
}

/** Box filter: each target pixel is the average of the source pixels it covers; alpha is flattened onto white. */
function downscale(source: Bitmap, width: number, height: number): Bitmap {
  const data = new Uint8Array(width * height * 4);
  const xRatio = source.width / width;
  const yRatio = source.height / height;
  for (let y = 0; y < height; y++) {
    const y0 = Math.floor(y * yRatio);
    const y1 = Math.max(y0 + 1, Math.floor((y + 1) * yRatio));
    for (let x = 0; x < width; x++) {
      const x0 = Math.floor(x * xRatio);
      const x1 = Math.max(x0 + 1, Math.floor((x + 1) * xRatio));
      let r = 0;
      let g = 0;
      let b = 0;
      let n = 0;
      for (let sy = y0; sy < y1; sy++) {
        let at = (sy * source.width + x0) * 4;
        for (let sx = x0; sx < x1; sx++, at += 4) {
          const alpha = source.data[at + 3]! / 255;
          r += source.data[at]! * alpha + 255 * (1 - alpha);
          g += source.data[at + 1]! * alpha + 255 * (1 - alpha);
          b += source.data[at + 2]! * alpha + 255 * (1 - alpha);
          n++;
        }
      }
      const to = (y * width + x) * 4;
      data[to] = r / n;
      data[to + 1] = g / n;
      data[to + 2] = b / n;
      data[to + 3] = 255;
    }
  }
  return { width, height, data };
}

/** Turns a bitmap as EXIF orientation 1–8 says the camera meant it. */
function orient(source: Bitmap, orientation: number): Bitmap {
  if (orientation <= 1 || orientation > 8) return source;
  const swap = orientation >= 5;
  const width = swap ? source.height : source.width;
  const height = swap ? source.width : source.height;
  const data = new Uint8Array(source.data.length);
  const W = source.width - 1;
  const H = source.height - 1;
  for (let y = 0; y < source.height; y++) {
    for (let x = 0; x < source.width; x++) {
      // Where the source pixel (x, y) lands in the upright picture.
      const [tx, ty] = (
        {
          2: [W - x, y],
          3: [W - x, H - y],
          4: [x, H - y],
          5: [y, x],
          6: [H - y, x],
          7: [H - y, W - x],
          8: [y, W - x],
        } as Record<number, [number, number]>
      )[orientation]!;
      const from = (y * source.width + x) * 4;
      const to = (ty * width + tx) * 4;
      data[to] = source.data[from]!;
      data[to + 1] = source.data[from + 1]!;
      data[to + 2] = source.data[from + 2]!;
      data[to + 3] = source.data[from + 3]!;
    }
  }
  return { width, height, data };
}
