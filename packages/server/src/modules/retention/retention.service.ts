import type { RetentionResponse } from '@parley/protocol';
import type { Database } from '../../platform/db/index.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Clock } from '../../platform/time.ts';
import type { Actor } from '../auth/index.ts';
import { appendAudit, appendEvent, type UnitOfWork } from '../logs/index.ts';
import type { MessagesService } from '../messages/index.ts';
import { access } from '../policy/index.ts';

export interface RetentionDeps {
  db: Database;
  uow: UnitOfWork;
  clock: Clock;
  logger: Logger;
  messages: MessagesService;
  /** RETENTION_DEFAULT_DAYS; 0: kept unless a conversation sets its own. */
  defaultDays: number;
  intervalMs: number;
  /** Messages per transaction. */
  batch: number;
}

export type RetentionService = ReturnType<typeof createRetentionService>;

const DAY = 24 * 3600_000;
/** Batches one run deletes at most; the rest waits for the next run, so a run never hogs the store. */
const BATCHES_PER_RUN = 20;
/** Conversations read per page while looking for expired messages. */
const PAGE = 500;

/**
 * Retention: messages older than a conversation's retention (its own, else the server's
 * default) are deleted for everyone by a background job, in bounded batches of short
 * transactions. Each deletion is a `message.deleted` event at the conversation's next seq,
 * so logs stay gap-free (a client far behind gets the usual reset) and every run is audited
 * per conversation (`retention.deleted`). The job only ever reads one conversation's
 * messages at a time, with that conversation's own cutoff: it cannot reach across.
 */
export function createRetentionService({ db, uow, clock, logger, messages, defaultDays, intervalMs, batch }: RetentionDeps) {
  const kysely = db.kysely;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<number> | null = null;

  const effective = (days: number | null | undefined) => days ?? (defaultDays > 0 ? defaultDays : null);

  /** One pass: conversations with a retention, oldest expired messages first, at most BATCHES_PER_RUN batches. */
  async function runOnce(): Promise<number> {
    let removed = 0;
    let batches = 0;
    let after = '';
    for (;;) {
      let query = kysely.selectFrom('conversations').select(['id', 'retention_days']).where('id', '>', after).orderBy('id').limit(PAGE);
      if (defaultDays === 0) query = query.where('retention_days', 'is not', null);
      const page = await query.execute();
      if (page.length === 0) return removed;
      for (const conversation of page) {
        const days = effective(conversation.retention_days)!;
        const cutoff = clock() - days * DAY;
        for (;;) {
          if (batches >= BATCHES_PER_RUN) return removed;
          batches++;
          const count = await messages.deleteExpired(conversation.id, cutoff, batch, days);
          removed += count;
          if (count < batch) {
            // Nothing read that found nothing is not a batch worth counting.
            if (count === 0) batches--;
            break;
          }
        }
      }
      after = page.at(-1)!.id;
    }
  }

  return {
    /** Runs one pass now (or waits for the one running); resolves to how many messages it deleted. */
    async run(): Promise<number> {
      running ??= runOnce().finally(() => {
        running = null;
      });
      return running;
    },

    start(): void {
      timer = setInterval(() => {
        this.run().then(
          (removed) => removed > 0 && logger.info({ removed }, 'retention deleted expired messages'),
          (error: unknown) => logger.error({ err: error }, 'retention run failed'),
        );
      }, intervalMs);
      timer.unref();
    },

    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = null;
      await running?.catch(() => {});
    },

    async get(actor: Actor, conversationId: string): Promise<RetentionResponse> {
      await access(kysely, actor.userId, conversationId, 'conversation.view', { now: clock() });
      const row = await kysely.selectFrom('conversations').select('retention_days').where('id', '=', conversationId).executeTakeFirstOrThrow();
      return { days: row.retention_days ?? null, effectiveDays: effective(row.retention_days) };
    },

    /** Owners and admins with edit_info (the conversation's settings); members hear of it as `conversation.updated`. */
    async set(actor: Actor, conversationId: string, days: number | null): Promise<RetentionResponse> {
      return uow(async (trx, changes) => {
        const now = clock();
        const { conversation } = await access(trx, actor.userId, conversationId, 'conversation.settings', { now, lock: db.dialect });
        if ((conversation.retention_days ?? null) !== days) {
          await trx.updateTable('conversations').set({ retention_days: days }).where('id', '=', conversationId).execute();
          await appendEvent(trx, changes, { conversationId, type: 'conversation.updated', actorId: actor.userId, data: { retentionDays: days }, now });
          await appendAudit(trx, { conversationId, actorId: actor.userId, action: 'conversation.retention', targetType: 'conversation', targetId: conversationId, data: { days }, now });
        }
        return { days, effectiveDays: effective(days) };
      });
    },
  };
}
