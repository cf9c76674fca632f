import { Endpoints } from '@parley/protocol';
import { type Route, route, sendBlob } from '../../http/index.ts';
import type { ExportsService } from './exports.service.ts';

export function exportsRoutes(deps: { exports: ExportsService }): Route[] {
  const { exports } = deps;
  return [
    route(Endpoints.requestExport, async ({ actor }) => ({ export: await exports.request(actor) })),
    route(Endpoints.listExports, async ({ actor }) => ({ exports: await exports.list(actor) })),
    route(Endpoints.getExport, async ({ actor, params }) => ({ export: await exports.get(actor, params.exportId) })),
    route(Endpoints.adminRequestExport, async ({ params }) => ({ export: await exports.adminRequest(params.id) })),
    route(Endpoints.adminGetExport, async ({ params }) => ({ export: await exports.adminGet(params.exportId) })),
    route(Endpoints.getExportBlob, ({ params, query, request, reply }) => sendBlob(request, reply, (range) => exports.blob(params.exportId, query, range))),
  ];
}
