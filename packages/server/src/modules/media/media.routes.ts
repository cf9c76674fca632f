import { Endpoints } from '@parley/protocol';
import { type Route, route } from '../../http/index.ts';
import { isAppError } from '../../platform/errors.ts';
import type { MediaService } from './media.service.ts';

export function mediaRoutes(deps: { media: MediaService }): Route[] {
  const { media } = deps;
  return [
    route(Endpoints.uploadFile, async ({ actor, query, request, reply }) => {
      const length = request.headers['content-length'];
      const declared = length !== undefined && /^\d{1,16}$/.test(length) ? Number(length) : null;
      try {
        return { file: await media.upload(actor, query, request.raw, declared) };
      } catch (error) {
        // A refusal before the body was read (too large, wrong type): the rest is not read
        // either; the connection closes after the answer instead of draining it.
        if (!request.raw.readableEnded) reply.header('connection', 'close');
        throw error;
      }
    }),
    route(Endpoints.getFile, async ({ actor, params }) => ({ file: await media.file(actor, params.fileId) })),
    route(Endpoints.deleteFile, async ({ actor, params }) => {
      await media.deleteFile(actor, params.fileId);
      return {};
    }),
    route(Endpoints.getFileUrl, ({ actor, params, query }) => media.url(actor, params.fileId, query.variant)),
    route(Endpoints.getBlob, async ({ params, query, request, reply }) => {
      let served: Awaited<ReturnType<MediaService['blob']>>;
      try {
        served = await media.blob(params, query, request.headers.range);
      } catch (error) {
        const size = isAppError(error) && error.code === 'range_not_satisfiable' ? (error.details as { size?: unknown } | undefined)?.size : undefined;
        if (typeof size === 'number') reply.header('content-range', `bytes */${size}`);
        throw error;
      }
      reply.status(served.status).headers(served.headers);
      // HEAD (Fastify answers it with this route) sends the headers only.
      if (request.method === 'HEAD') {
        served.body.destroy();
        return reply.send() as never;
      }
      return reply.send(served.body) as never;
    }),
  ];
}
