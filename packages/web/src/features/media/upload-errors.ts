import { describeError } from '../../lib/errors.ts';
import { formatBytes } from './use-file-url.ts';

function codeAndDetails(error: unknown): { code: string | null; details: Record<string, unknown> } {
  if (error instanceof Error && error.name === 'ParleyError' && 'code' in error) {
    const details = (error as { details?: unknown }).details;
    return { code: String((error as { code: unknown }).code), details: details && typeof details === 'object' ? (details as Record<string, unknown>) : {} };
  }
  return { code: null, details: {} };
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException ? error.name === 'AbortError' : error instanceof Error && error.name === 'AbortError';
}

/** Why a file was not accepted, in a sentence that names it and says what would work. */
export function describeUploadError(error: unknown, name: string): string {
  const { code, details } = codeAndDetails(error);
  switch (code) {
    case 'payload_too_large':
      return typeof details.limit === 'number' ? `${name} is too large: files can be at most ${formatBytes(details.limit)}.` : `${name} is too large to send.`;
    case 'unsupported_media_type':
      if (details.reason === 'infected') return `${name} was refused by the malware scan.`;
      return typeof details.type === 'string' ? `${name} cannot be sent: files of type ${details.type} are not accepted.` : `${name} cannot be sent: this type of file is not accepted.`;
    case 'limit_exceeded':
      if (typeof details.width === 'number') return `${name} has too many pixels to send.`;
      return `${name} does not fit: your storage for files is full.`;
    case 'rate_limited':
      return `Too many uploads at once. Wait a moment, then try ${name} again.`;
    case 'validation_failed':
      return `${name} is empty.`;
    default:
      return `${name} was not uploaded: ${describeError(error)}`;
  }
}
