import { readFileSync } from 'node:fs';
import type { PushPlatform } from '@parley/protocol';
import type { PushConfig } from '../../../config/index.ts';
import type { Clock } from '../../../platform/time.ts';
import { createApnsProvider } from './apns.provider.ts';
import { createFcmProvider, parseServiceAccount } from './fcm.provider.ts';
import type { PushProvider } from './push-provider.ts';
import type { VapidKeys } from './web-push-crypto.ts';
import { createWebPushProvider } from './web-push.provider.ts';

export type PushProvidersConfig = Pick<PushConfig, 'fcm' | 'apns' | 'webPush' | 'timeoutMs'>;

function readConfigFile(path: string, variable: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${variable}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/** The configured providers, by platform; credentials are read and checked now, so a bad file fails the start. */
export function createPushProviders(config: PushProvidersConfig, vapid: VapidKeys | null, clock: Clock): Map<PushPlatform, PushProvider> {
  const providers = new Map<PushPlatform, PushProvider>();
  if (config.fcm) {
    let serviceAccount;
    try {
      serviceAccount = parseServiceAccount(readConfigFile(config.fcm.serviceAccountFile, 'FCM_SERVICE_ACCOUNT_FILE'));
    } catch (error) {
      throw new Error(`FCM_SERVICE_ACCOUNT_FILE: ${(error as Error).message}`);
    }
    providers.set('fcm', createFcmProvider({ serviceAccount, apiUrl: config.fcm.apiUrl, timeoutMs: config.timeoutMs, clock }));
  }
  if (config.apns) {
    const { apns } = config;
    providers.set('apns', createApnsProvider({
      key: readConfigFile(apns.keyFile, 'APNS_KEY_FILE'), keyId: apns.keyId, teamId: apns.teamId, topic: apns.topic, url: apns.url,
      ca: apns.caFile ? readConfigFile(apns.caFile, 'APNS_CA_FILE') : undefined, timeoutMs: config.timeoutMs, clock,
    }));
  }
  if (config.webPush && vapid) {
    providers.set('webpush', createWebPushProvider({ vapid, subject: config.webPush.subject, ttlSec: config.webPush.ttlSec, timeoutMs: config.timeoutMs, clock }));
  }
  return providers;
}
