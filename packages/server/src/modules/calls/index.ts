export { createCallsService, type CallsService } from './calls.service.ts';
export { callRoutes } from './calls.routes.ts';
export { createJanusBackend, type JanusOptions } from './janus-backend.ts';
export { createLivekitBackend, type LivekitOptions } from './livekit-backend.ts';
export type { MediaBackend, MediaEvent, MediaGrant, MediaJoin } from './media-backend.ts';
export { iceServersFor, turnCredential } from './turn-credentials.ts';
