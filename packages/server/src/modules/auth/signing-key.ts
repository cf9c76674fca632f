import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The HS256 key for Parley's own access tokens: configured (required when several
 * nodes do not share a data directory), or generated on first start and kept in the
 * data directory with owner-only permissions.
 */
export function loadSigningKey(configured: string | null, dataDir: string): Uint8Array {
  if (configured) return new TextEncoder().encode(configured);
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'jwt-secret');
  try {
    writeFileSync(path, randomBytes(48).toString('base64url'), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const secret = readFileSync(path, 'utf8').trim();
  if (secret.length < 32) throw new Error(`${path} holds a key shorter than 32 characters; delete it to generate a new one`);
  return new TextEncoder().encode(secret);
}
