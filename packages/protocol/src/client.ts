/**
 * What a client needs at run time, and nothing that builds a schema: error and close
 * codes, limits, and the route list (the endpoint table without its schemas). The SDK
 * and the web client import values from `@parley/protocol/client` and types from
 * `@parley/protocol`, so TypeBox and the schemas stay out of browser bundles (the web
 * build's budget test fails if they come back).
 */
export * from './errors.ts';
export * from './close-codes.ts';
export * from './limits.ts';
export * from './routes.ts';
export { endpointPath } from './endpoint.ts';
export { compactEvent, expandEvent } from './live-events.ts';
