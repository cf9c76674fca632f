import { Endpoints } from '@parley/protocol';
import { type Route, route } from '../../http/index.ts';
import type { RetentionService } from './retention.service.ts';

export function retentionRoutes(deps: { retention: RetentionService }): Route[] {
  const { retention } = deps;
  return [
    route(Endpoints.getRetention, ({ actor, params }) => retention.get(actor, params.id)),
    route(Endpoints.setRetention, ({ actor, params, body }) => retention.set(actor, params.id, body.days)),
  ];
}
