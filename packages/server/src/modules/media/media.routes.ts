import { Endpoints, type ResumableUpload } from '@parley/protocol';
import type { FastifyReply } from 'fastify';
import { type Route, route, sendBlob } from '../../http/index.ts';
import type { MediaService } from './media.service.ts';
import type { ResumableUploads } from './resumable-uploads.ts';
import { TUS_EXTENSIONS, TUS_VERSION } from './tus-headers.ts';

/** What tus clients read off an answer: where the upload stands, and when it expires. */
function tusHeaders(reply: FastifyReply, upload: ResumableUpload): void {
  reply.header('upload-offset', String(upload.offset)).header('upload-expires', new Date(upload.expiresAt).toUTCString());
  if (upload.fileId) reply.header('parley-file-id', upload.fileId);
}

/** Every tus answer names the protocol version, errors included (a 412 also lists what is spoken). */
function speakTus(reply: FastifyReply): void {
  reply.header('tus-resumable', TUS_VERSION).header('tus-version', TUS_VERSION).header('tus-extension', TUS_EXTENSIONS);
}

export function mediaRoutes(deps: { media: MediaService; resumable: ResumableUploads }): Route[] {
  const { media, resumable } = deps;
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
    route(Endpoints.createResumableUpload, async ({ actor, request, reply }) => {
      speakTus(reply);
      const upload = await resumable.create(actor, request.headers);
      reply.header('location', `/v1/uploads/resumable/${upload.id}`).header('upload-expires', new Date(upload.expiresAt).toUTCString());
      return { upload };
    }),
    route(Endpoints.getResumableUpload, async ({ actor, params, request, reply }) => {
      speakTus(reply);
      const upload = await resumable.status(actor, params.uploadId, request.headers);
      tusHeaders(reply, upload);
      reply.header('upload-length', String(upload.length)).header('cache-control', 'no-store');
      return { upload };
    }),
    route(Endpoints.appendResumableUpload, async ({ actor, params, request, reply }) => {
      speakTus(reply);
      try {
        tusHeaders(reply, await resumable.append(actor, params.uploadId, request.headers, request.raw));
      } catch (error) {
        if (!request.raw.readableEnded) reply.header('connection', 'close');
        throw error;
      }
      return {};
    }),
    route(Endpoints.deleteResumableUpload, async ({ actor, params, request, reply }) => {
      speakTus(reply);
      await resumable.terminate(actor, params.uploadId, request.headers);
      return {};
    }),
    route(Endpoints.getFile, async ({ actor, params }) => ({ file: await media.file(actor, params.fileId) })),
    route(Endpoints.deleteFile, async ({ actor, params }) => {
      await media.deleteFile(actor, params.fileId);
      return {};
    }),
    route(Endpoints.getFileUrl, ({ actor, params, query }) => media.url(actor, params.fileId, query.variant)),
    route(Endpoints.getBlob, ({ params, query, request, reply }) => sendBlob(request, reply, (range) => media.blob(params, query, range))),
  ];
}
