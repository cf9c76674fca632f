import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateVapidKeys, type VapidKeys, vapidJwk } from './providers/web-push-crypto.ts';

/**
 * The server's VAPID key pair (RFC 8292): configured (several nodes must share one: a
 * browser's subscription is bound to the key it subscribed with), or generated on first
 * start into the data directory with owner-only permissions.
 */
export function loadVapidKeys(configured: VapidKeys | null, dataDir: string): VapidKeys {
  if (configured) {
    vapidJwk(configured);
    return configured;
  }
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'vapid-keys.json');
  try {
    writeFileSync(path, JSON.stringify(generateVapidKeys()), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const keys = JSON.parse(readFileSync(path, 'utf8')) as VapidKeys;
  try {
    vapidJwk(keys);
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}; delete it to generate new keys (browsers then subscribe again)`);
  }
  return keys;
}
