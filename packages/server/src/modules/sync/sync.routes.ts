import { Endpoints } from '@parley/protocol';
import { type Route, route } from '../../http/index.ts';
import type { SyncService } from './sync.service.ts';

export function syncRoutes(deps: { sync: SyncService }): Route[] {
  const { sync } = deps;
  return [
    route(Endpoints.listEvents, ({ actor, params, query }) => sync.events(actor, params.id, query.after ?? 0, query.limit)),
    route(Endpoints.listUserEvents, ({ actor, query }) => sync.userEvents(actor, query.after ?? 0, query.limit)),
    route(Endpoints.getHeads, ({ actor, query }) => sync.heads(actor, query)),
  ];
}
