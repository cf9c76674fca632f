import type { AttachmentKind } from '@parley/protocol';
import { fileTypeFromBuffer } from 'file-type';

/** Bytes looked at to tell a file's type: what `file-type` needs for every format it knows. */
export const SNIFF_BYTES = 4100;

/**
 * The content type of a file from its first bytes, never from what the uploader claimed:
 * a format `file-type` recognises by its signature; otherwise `text/plain` when the bytes
 * are UTF-8 text without NUL or other binary control characters; otherwise
 * `application/octet-stream`. (HTML, SVG and scripts are text here: they are served as
 * `text/plain` and as downloads, never rendered.)
 */
export async function detectContentType(head: Uint8Array): Promise<string> {
  const detected = await fileTypeFromBuffer(head);
  if (detected) return detected.mime;
  return looksLikeText(head) ? 'text/plain' : 'application/octet-stream';
}

function looksLikeText(head: Uint8Array): boolean {
  // The head may end in the middle of a character: only the last 3 bytes may be cut.
  for (let cut = 0; cut <= Math.min(3, head.length); cut++) {
    const slice = head.subarray(0, head.length - cut);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(slice);
    } catch {
      continue;
    }
    // Tab, line feed, form feed and carriage return are text; other C0 controls are not.
    return !/[\u0000-\u0008\u000b\u000e-\u001f\u007f]/.test(text);
  }
  return false;
}

/** Whether a detected type is on the allow-list (exact types, or `family/*`). */
export function isAllowedType(contentType: string, allowed: readonly string[]): boolean {
  const family = `${contentType.slice(0, contentType.indexOf('/'))}/*`;
  return allowed.includes(contentType) || allowed.includes(family);
}

/** How clients show a file of this type; `voice` only when the uploader said so and the bytes are audio. */
export function kindOf(contentType: string, voice: boolean): AttachmentKind {
  if (contentType.startsWith('audio/') || contentType === 'video/ogg' || contentType === 'video/webm') {
    // MediaRecorder's voice notes come as WebM or Ogg, which `file-type` may call video.
    if (voice) return 'voice';
  }
  if (IMAGE_TYPES.has(contentType)) return 'image';
  if (contentType.startsWith('video/')) return 'video';
  if (contentType.startsWith('audio/')) return 'audio';
  return 'file';
}

/** Images clients can show inline (the ones a browser decodes); other `image/*` files are files. */
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/avif', 'image/bmp']);

const MAX_NAME_BYTES = 255;

/**
 * A file name safe to store, show and put in a Content-Disposition: only the last path
 * segment, Unicode NFC, no control, bidirectional-override or zero-width characters, no
 * leading dots or spaces, at most 255 bytes of UTF-8 (the extension kept), `file` if
 * nothing is left.
 */
export function sanitizeFileName(raw: string): string {
  let name = raw.normalize('NFC').split(/[/\\]/).at(-1) ?? '';
  name = name.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, '');
  name = name.replace(/\s+/g, ' ').replace(/^[\s.]+/, '').replace(/[\s.]+$/, '');
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) {
    const dot = name.lastIndexOf('.');
    const extension = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
    let stem = name.slice(0, name.length - extension.length);
    while (Buffer.byteLength(stem + extension) > MAX_NAME_BYTES) stem = [...stem].slice(0, -1).join('');
    name = stem + extension;
  }
  return name === '' ? 'file' : name;
}
