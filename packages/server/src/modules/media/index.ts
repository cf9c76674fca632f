export { createMediaService, type MediaService, parseRangeHeader, toAttachment } from './media.service.ts';
export { mediaRoutes } from './media.routes.ts';
export { createClamdScanner, type FileScanner, type ScanVerdict } from './clamd-scanner.ts';
export { createResumableUploads, type ResumableUploads } from './resumable-uploads.ts';
export { createFfmpegDecoder, findFfmpeg, type MediaDecoder } from './ffmpeg.ts';
