export { type AccessHook, bearerToken, requireAdmin, requireUser } from './access-hooks.ts';
export { createHttpServer } from './http-server.ts';
export { endpointOf, registerRoutes, type Route, route, type RouteContext } from './routes.ts';
export { sendBlob } from './send-blob.ts';
export { registerTracingHooks } from './tracing-hooks.ts';
