import { ClientFrames, type ClientFrame, type ClientFrameType, type ErrorBody, Limits } from '@parley/protocol';
import { Compile } from 'typebox/compile';
import { findUnstorableText, validationDetails } from '../platform/validation.ts';

const validators = Object.fromEntries(Object.entries(ClientFrames).map(([type, schema]) => [type, Compile(schema)])) as {
  [T in ClientFrameType]: ReturnType<typeof Compile>;
};

export type ParsedFrame = { ok: true; frame: ClientFrame } | { ok: false; id: string | null; error: ErrorBody };

/**
 * Raw socket data to a typed request, or the typed error to answer with. The request
 * id is recovered whenever it can be, so even a rejected request gets a matching answer.
 */
export function parseFrame(data: Buffer, isBinary: boolean, maxFrameBytes: number): ParsedFrame {
  if (isBinary) return fail(null, 'bad_request', 'Binary frames are not supported; send JSON text.');
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch {
    return fail(null, data.length > maxFrameBytes ? 'payload_too_large' : 'bad_request', data.length > maxFrameBytes ? tooLarge(maxFrameBytes) : 'The frame is not valid JSON.');
  }
  const isRecord = typeof value === 'object' && value !== null && !Array.isArray(value);
  const record = (isRecord ? value : {}) as Record<string, unknown>;
  const id = typeof record.id === 'string' && record.id.length > 0 && record.id.length <= Limits.requestIdMaxLength ? record.id : null;
  // Checked after parsing (frames above the hard limit never get here) so the answer can carry the request's id.
  if (data.length > maxFrameBytes) return fail(id, 'payload_too_large', tooLarge(maxFrameBytes));
  if (!isRecord) return fail(null, 'bad_request', 'A frame is a JSON object.');
  const type = record.t;
  if (typeof type !== 'string' || !Object.hasOwn(validators, type)) {
    return fail(id, 'bad_request', `Unknown frame type; expected one of ${Object.keys(validators).join(', ')}.`);
  }
  const validator = validators[type as ClientFrameType];
  if (!validator.Check(value)) return fail(id, 'validation_failed', 'The frame does not match its schema.', validationDetails(validator.Errors(value)));
  const unstorable = findUnstorableText(value, '');
  if (unstorable) return fail(id, 'validation_failed', 'The frame does not match its schema.', [{ path: unstorable, message: 'must not contain NUL characters or unpaired surrogates' }]);
  return { ok: true, frame: value as ClientFrame };
}

const tooLarge = (maxFrameBytes: number) => `Frames may be at most ${maxFrameBytes} bytes.`;

function fail(id: string | null, code: ErrorBody['code'], message: string, details?: unknown): ParsedFrame {
  const error: ErrorBody = { code, message };
  if (details !== undefined) error.details = details;
  return { ok: false, id, error };
}
