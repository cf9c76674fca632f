import Type from 'typebox';
import type { EndpointSpec } from '../endpoint.ts';

const Status = (description: string) => Type.Object({ status: Type.String({ description }) }, { description: `status: ${description}` });

/** Readiness with the broker's reach: a node whose Redis is away stays ready (it serves its own sockets live, sync heals the rest) and says so here. */
const Readiness = (description: string) =>
  Type.Object(
    {
      status: Type.String({ description }),
      broker: Type.Union([Type.Literal('in-process'), Type.Literal('connected'), Type.Literal('unavailable')], {
        description: '"in-process" (one node), "connected" (Redis reaches every node), "unavailable" (Redis is away: live delivery on this node only).',
      }),
    },
    { description: `status: ${description}` },
  );

/** Probes and telemetry for operators and orchestrators. */
export const operationsEndpoints = {
  getHealth: {
    method: 'GET',
    path: '/healthz',
    access: 'public',
    tag: 'operations',
    summary: 'The process is alive',
    response: Status('Always "ok".'),
    errors: [],
  },
  getReadiness: {
    method: 'GET',
    path: '/readyz',
    access: 'public',
    tag: 'operations',
    summary: 'Ready for traffic: database reachable, migrations applied, not draining (503 otherwise); Redis being away does not fail it (see broker)',
    response: Readiness('"ready".'),
    otherResponses: { 503: Readiness('"draining" or "database unavailable".') },
    errors: [],
  },
  getMetrics: {
    method: 'GET',
    path: '/metrics',
    access: 'public',
    // Public to the router (no user or admin check), but a scraper must send METRICS_TOKEN.
    securityScheme: 'metricsToken',
    tag: 'operations',
    summary: 'Prometheus metrics: connections, refusals by reason, event-loop lag, rate limits, messages, fan-out, slow consumers',
    response: Type.String({ description: 'Prometheus text exposition format.' }),
    produces: 'text/plain; version=0.0.4; charset=utf-8',
    /** not_found: METRICS_TOKEN unset or METRICS_ENABLED=false; unauthorized: a wrong or missing token. */
    errors: ['unauthorized', 'not_found'],
  },
  getOpenApiDocument: {
    method: 'GET',
    path: '/v1/openapi.json',
    access: 'public',
    tag: 'operations',
    summary: 'This document: the HTTP API as OpenAPI 3.1',
    response: Type.Unknown(),
    errors: [],
  },
} as const satisfies Record<string, EndpointSpec>;
