import { PassThrough, pipeline, Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import type { DataExport } from '@parley/protocol';
import type { ExportsConfig } from '../../config/index.ts';
import { type BlobStore, type BlobUrlSigner, servedBlob } from '../../platform/blob/index.ts';
import type { Database, DataExportsTable } from '../../platform/db/index.ts';
import { AppError, isAppError } from '../../platform/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { Logger } from '../../platform/logger.ts';
import { type Clock, iso, isoOrNull } from '../../platform/time.ts';
import type { Actor } from '../auth/index.ts';
import { parseRangeHeader } from '../media/index.ts';
import { exportArchive } from './export-archive.ts';

export interface ExportsDeps {
  db: Database;
  store: BlobStore;
  /** Checks the local store's links (`/v1/blobs/exports/…`). */
  signer: BlobUrlSigner;
  config: ExportsConfig;
  clock: Clock;
  logger: Logger;
}

export type ExportsService = ReturnType<typeof createExportsService>;

/** A running export holds its row this long; a node that died mid-way loses it after that and another node starts it again. */
const LEASE_MS = 5 * 60_000;
/** Failures (other than "too large") retried before an export is `failed`. */
const MAX_ATTEMPTS = 3;
/** Exports built per run at most (one at a time): the job never hogs a node. */
const EXPORTS_PER_RUN = 5;
/** Finished, failed and expired rows are forgotten this long after (the archive itself goes at `expires_at`). */
const FORGET_AFTER_MS = 90 * 24 * 3600_000;
/** Exports a user's list answers. */
const LIST_LIMIT = 10;

const blobKey = (id: string) => `exports/${id}/export.tar.gz`;
const notFound = () => new AppError('not_found', 'Export not found.');
const claimable = (now: number) => (eb: any) => eb.or([eb('state', '=', 'pending'), eb.and([eb('state', '=', 'running'), eb('lease_until', '<', now)])]);

/**
 * Data exports (docs/data.md#exporting-your-data). A request is a row; a background job on
 * every node takes pending rows one at a time (a lease, so a node that dies mid-way is
 * replaced), streams the archive (`export-archive.ts`, a gzip-compressed tar) into the blob
 * store, and marks the row ready with when it expires. Reads hand a fresh short-lived link
 * (the blob store's signed URLs, as for media). Expired archives are deleted by the same job.
 */
export function createExportsService({ db, store, signer, config, clock, logger }: ExportsDeps) {
  const kysely = db.kysely;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<number> | null = null;
  let stopping = new AbortController();

  async function toWire(row: DataExportsTable): Promise<DataExport> {
    const ready = row.state === 'ready' && row.blob_key !== null;
    const url = ready ? await store.signedReadUrl(row.blob_key!, { expiresInSec: config.urlTtlSec }) : null;
    return {
      id: row.id, userId: row.user_id, state: row.state, requestedBy: row.requested_by, createdAt: iso(row.created_at),
      finishedAt: isoOrNull(row.finished_at), expiresAt: ready ? isoOrNull(row.expires_at) : null,
      size: ready ? Number(row.size) : null, sha256: ready ? row.sha256 : null,
      url, urlExpiresAt: url ? iso(clock() + config.urlTtlSec * 1000) : null,
    };
  }

  async function create(userId: string, requestedBy: 'user' | 'admin'): Promise<DataExportsTable> {
    const now = clock();
    const row: DataExportsTable = {
      id: newId(now), user_id: userId, requested_by: requestedBy, state: 'pending', created_at: now, started_at: null, finished_at: null,
      lease_until: null, attempts: 0, expires_at: null, blob_key: null, size: null, sha256: null, error: null,
    };
    await kysely.insertInto('data_exports').values(row).execute();
    return row;
  }

  /** Takes the oldest export waiting (or abandoned by a dead node); null when there is none. */
  async function claim(): Promise<DataExportsTable | null> {
    for (;;) {
      const now = clock();
      const next = await kysely.selectFrom('data_exports').selectAll().where(claimable(now)).orderBy('created_at').limit(1).executeTakeFirst();
      if (!next) return null;
      const taken = await kysely.updateTable('data_exports')
        .set({ state: 'running', lease_until: now + LEASE_MS, started_at: now, attempts: next.attempts + 1 })
        .where('id', '=', next.id).where(claimable(now)).executeTakeFirst();
      // Another node took it meanwhile: look again.
      if (Number(taken.numUpdatedRows) === 1) return { ...next, state: 'running', attempts: next.attempts + 1 };
    }
  }

  async function build(row: DataExportsTable): Promise<void> {
    const key = blobKey(row.id);
    const renew = setInterval(() => {
      void kysely.updateTable('data_exports').set({ lease_until: clock() + LEASE_MS }).where('id', '=', row.id).where('state', '=', 'running').execute()
        .catch((error: unknown) => logger.warn({ err: error, exportId: row.id }, 'renewing an export lease failed'));
    }, LEASE_MS / 5);
    renew.unref();
    const signal = stopping.signal;
    try {
      // The archive's own error, when it failed: the store reports a broken source as bad_request.
      let failure: unknown = null;
      const source = Readable.from(exportArchive({ db: kysely, store, userId: row.user_id, batch: config.batch, now: clock(), signal }));
      const gzip = createGzip();
      const body = new PassThrough();
      pipeline(source, gzip, body, (error) => {
        if (error) failure ??= error;
      });
      source.on('error', (error) => void (failure ??= error));
      let info;
      try {
        info = await store.write(key, body, { contentType: 'application/gzip', maxBytes: config.maxBytes });
      } catch (error) {
        throw failure ?? error;
      }
      const now = clock();
      const done = await kysely.updateTable('data_exports')
        .set({ state: 'ready', finished_at: now, expires_at: now + config.keepMs, lease_until: null, blob_key: key, size: info.size, sha256: info.sha256, error: null })
        .where('id', '=', row.id).where('state', '=', 'running').executeTakeFirst();
      // The row went meanwhile (the account was deleted): so does the archive.
      if (Number(done.numUpdatedRows) === 0) await store.delete(key);
      else logger.info({ exportId: row.id, bytes: info.size }, 'data export ready');
    } catch (error) {
      await store.delete(key).catch(() => {});
      const interrupted = signal.aborted;
      const final = !interrupted && ((isAppError(error) && (error.code === 'payload_too_large' || error.code === 'not_found')) || row.attempts >= MAX_ATTEMPTS);
      const reason = isAppError(error) && error.code === 'payload_too_large' ? `The export is larger than EXPORT_MAX_BYTES (${config.maxBytes} bytes).` : error instanceof Error ? error.message : String(error);
      await kysely.updateTable('data_exports')
        .set(final ? { state: 'failed', finished_at: clock(), lease_until: null, error: reason } : { state: 'pending', lease_until: null, ...(interrupted ? { attempts: row.attempts - 1 } : {}), error: reason })
        .where('id', '=', row.id).where('state', '=', 'running').execute();
      if (!interrupted) logger.warn({ err: error, exportId: row.id, final }, 'a data export failed');
    } finally {
      clearInterval(renew);
    }
  }

  /** Deletes archives past their expiry (row first, so a link stops at once; then the bytes) and forgets old rows. */
  async function expire(): Promise<void> {
    const now = clock();
    const due = await kysely.selectFrom('data_exports').select(['id', 'blob_key']).where('state', '=', 'ready').where('expires_at', '<=', now).limit(100).execute();
    for (const row of due) {
      const gone = await kysely.updateTable('data_exports').set({ state: 'expired', blob_key: null }).where('id', '=', row.id).where('state', '=', 'ready').executeTakeFirst();
      if (Number(gone.numUpdatedRows) === 1 && row.blob_key) await store.delete(row.blob_key);
    }
    await kysely.deleteFrom('data_exports').where('state', 'in', ['expired', 'failed']).where('finished_at', '<', now - FORGET_AFTER_MS).execute();
  }

  async function runOnce(): Promise<number> {
    await expire();
    let built = 0;
    while (built < EXPORTS_PER_RUN && !stopping.signal.aborted) {
      const row = await claim();
      if (!row) break;
      await build(row);
      built++;
    }
    return built;
  }

  async function mine(actor: Actor, exportId: string): Promise<DataExportsTable> {
    const row = await kysely.selectFrom('data_exports').selectAll().where('id', '=', exportId).executeTakeFirst();
    if (!row || row.user_id !== actor.userId) throw notFound();
    return row;
  }

  const service = {
    /** Runs the job now (or waits for the run under way); resolves to how many exports it built. */
    run(): Promise<number> {
      running ??= runOnce().finally(() => {
        running = null;
      });
      return running;
    },

    /** Starts the job soon, without waiting (after a request, so nobody waits for the interval). */
    kick(): void {
      if (!timer) return;
      void service.run().catch((error: unknown) => logger.error({ err: error }, 'the export job failed'));
    },

    start(): void {
      stopping = new AbortController();
      timer = setInterval(() => service.kick(), config.intervalMs);
      timer.unref();
    },

    /** Stops the job: an export being built ends between two entries and stays pending for the next start (or another node). */
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = null;
      stopping.abort();
      await running?.catch(() => {});
    },

    /**
     * A user asks for their export. While one is pending or running it is the answer (asking
     * twice builds nothing twice); a new one only `minIntervalMs` after the previous request.
     */
    async request(actor: Actor): Promise<DataExport> {
      const latest = await kysely.selectFrom('data_exports').selectAll().where('user_id', '=', actor.userId).where('requested_by', '=', 'user')
        .orderBy('created_at', 'desc').limit(1).executeTakeFirst();
      if (latest && (latest.state === 'pending' || latest.state === 'running')) return toWire(latest);
      const retryAfterMs = latest ? latest.created_at + config.minIntervalMs - clock() : 0;
      if (retryAfterMs > 0) {
        throw new AppError('rate_limited', 'You asked for an export recently; the last one is still yours to download until it expires.', { retryAfterMs, exportId: latest!.id });
      }
      const row = await create(actor.userId, 'user');
      // Two requests racing (two devices, two nodes) both got here: the older one stands.
      const first = await kysely.selectFrom('data_exports').selectAll().where('user_id', '=', actor.userId).where('requested_by', '=', 'user')
        .where('state', 'in', ['pending', 'running']).orderBy('id').limit(1).executeTakeFirstOrThrow();
      if (first.id !== row.id) {
        await kysely.deleteFrom('data_exports').where('id', '=', row.id).execute();
        return toWire(first);
      }
      service.kick();
      return toWire(row);
    },

    async list(actor: Actor): Promise<DataExport[]> {
      const rows = await kysely.selectFrom('data_exports').selectAll().where('user_id', '=', actor.userId).where('requested_by', '=', 'user')
        .orderBy('created_at', 'desc').limit(LIST_LIMIT).execute();
      return Promise.all(rows.map(toWire));
    },

    async get(actor: Actor, exportId: string): Promise<DataExport> {
      return toWire(await mine(actor, exportId));
    },

    /** The admin API exports one user (a data-protection request): not limited, not shown in the user's own list. */
    async adminRequest(userId: string): Promise<DataExport> {
      const user = await kysely.selectFrom('users').select(['status']).where('id', '=', userId).executeTakeFirst();
      if (!user || user.status === 'deleted') throw new AppError('not_found', 'User not found.');
      const row = await create(userId, 'admin');
      service.kick();
      return toWire(row);
    },

    async adminGet(exportId: string): Promise<DataExport> {
      const row = await kysely.selectFrom('data_exports').selectAll().where('id', '=', exportId).executeTakeFirst();
      if (!row) throw notFound();
      return toWire(row);
    },

    /** Account deletion: the exports go, rows and archives (they hold what the deletion removes). */
    async forget(userId: string): Promise<void> {
      const rows = await kysely.deleteFrom('data_exports').where('user_id', '=', userId).returning(['blob_key', 'id']).execute();
      // Running ones are written under their key even before the row says so.
      for (const row of rows) await store.delete(row.blob_key ?? blobKey(row.id));
    },

    /**
     * The bytes behind a local link: a forged, altered or expired link, and an export that
     * is not ready any more (expired, deleted with its account), all get the same 404.
     */
    async blob(exportId: string, query: { expires: string; sig: string }, rangeHeader: string | undefined) {
      const key = blobKey(exportId);
      try {
        signer.verify(key, query);
      } catch {
        throw notFound();
      }
      const row = await kysely.selectFrom('data_exports').select(['state', 'created_at']).where('id', '=', exportId).executeTakeFirst();
      if (!row || row.state !== 'ready') throw notFound();
      const read = await store.read(key, parseRangeHeader(rangeHeader));
      return servedBlob(read, {
        contentType: 'application/gzip',
        contentDisposition: `attachment; filename="parley-export-${iso(row.created_at).slice(0, 10)}.tar.gz"`,
        expiresInSec: Math.max(0, Number(query.expires) - Math.floor(clock() / 1000)),
      });
    },
  };
  return service;
}
