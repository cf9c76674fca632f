export { type CallRing, type CallRingPush, createCallRingPush } from './call-ring-push.ts';
export { createPushService, type PushService } from './push.service.ts';
export { pushRoutes } from './push.routes.ts';
export { createPushWorker, type PushWorker, type PushWorkerOptions } from './push.worker.ts';
export { loadVapidKeys } from './vapid-keys.ts';
export { createPushProviders, type PushProvidersConfig } from './providers/create-providers.ts';
export type { PushNotification, PushProvider, PushResult, PushTarget } from './providers/push-provider.ts';
