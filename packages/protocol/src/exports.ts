import Type, { type Static } from 'typebox';
import { Id, Timestamp } from './common.ts';

/** Request bodies reject unknown properties: a typo is an error, not a silent no-op. */
const strict = { additionalProperties: false } as const;

// --- data export (docs/data.md#exporting-your-data) ---------------------------------

/**
 * Where an export is: `pending` (waiting for the background job), `running`, `ready` (the
 * archive can be downloaded until `expiresAt`), `failed` (after its retries), `expired`
 * (the archive was deleted; request a new one).
 */
export const ExportState = Type.Union([Type.Literal('pending'), Type.Literal('running'), Type.Literal('ready'), Type.Literal('failed'), Type.Literal('expired')]);
export type ExportState = Static<typeof ExportState>;

export const DataExport = Type.Object({
  id: Id,
  /** Whose data it holds. */
  userId: Id,
  state: ExportState,
  /** `user` (asked for in the app) or `admin` (the admin API). */
  requestedBy: Type.Union([Type.Literal('user'), Type.Literal('admin')]),
  createdAt: Timestamp,
  finishedAt: Type.Union([Timestamp, Type.Null()]),
  /** When the archive is deleted (ready exports). */
  expiresAt: Type.Union([Timestamp, Type.Null()]),
  /** Bytes of the archive (a gzip-compressed tar), once ready. */
  size: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  /** SHA-256 (hex) of the archive, once ready. */
  sha256: Type.Union([Type.String(), Type.Null()]),
  /** A short-lived download link (fresh on every read) while the export is ready; else null. */
  url: Type.Union([Type.String(), Type.Null()]),
  urlExpiresAt: Type.Union([Timestamp, Type.Null()]),
});
export type DataExport = Static<typeof DataExport>;

export const ExportResponse = Type.Object({ export: DataExport });
export type ExportResponse = Static<typeof ExportResponse>;

export const ExportListResponse = Type.Object({
  /** Newest first; the last few only. */
  exports: Type.Array(DataExport),
});
export type ExportListResponse = Static<typeof ExportListResponse>;

export const ExportParams = Type.Object({ exportId: Id });
export type ExportParams = Static<typeof ExportParams>;

export const RequestExportBody = Type.Object({}, strict);
export type RequestExportBody = Static<typeof RequestExportBody>;
