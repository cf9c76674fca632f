import { Endpoints } from '@parley/protocol';
import { type Route, route } from '../../http/index.ts';
import { isAppError } from '../../platform/errors.ts';
import type { ExportsService } from './exports.service.ts';

export function exportsRoutes(deps: { exports: ExportsService }): Route[] {
  const { exports } = deps;
  return [
    route(Endpoints.requestExport, async ({ actor }) => ({ export: await exports.request(actor) })),
    route(Endpoints.listExports, async ({ actor }) => ({ exports: await exports.list(actor) })),
    route(Endpoints.getExport, async ({ actor, params }) => ({ export: await exports.get(actor, params.exportId) })),
    route(Endpoints.adminRequestExport, async ({ params }) => ({ export: await exports.adminRequest(params.id) })),
    route(Endpoints.adminGetExport, async ({ params }) => ({ export: await exports.adminGet(params.exportId) })),
    route(Endpoints.getExportBlob, async ({ params, query, request, reply }) => {
      let served: Awaited<ReturnType<ExportsService['blob']>>;
      try {
        served = await exports.blob(params.exportId, query, request.headers.range);
      } catch (error) {
        const size = isAppError(error) && error.code === 'range_not_satisfiable' ? (error.details as { size?: unknown } | undefined)?.size : undefined;
        if (typeof size === 'number') reply.header('content-range', `bytes */${size}`);
        throw error;
      }
      reply.status(served.status).headers(served.headers);
      if (request.method === 'HEAD') {
        served.body.destroy();
        return reply.send() as never;
      }
      return reply.send(served.body) as never;
    }),
  ];
}
