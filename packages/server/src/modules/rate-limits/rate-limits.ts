import type { RateLimitClass } from '@parley/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { BucketRuleConfig, RateLimitsConfig } from '../../config/index.ts';
import { endpointOf } from '../../http/index.ts';
import { AppError } from '../../platform/errors.ts';
import type { Logger } from '../../platform/logger.ts';
import type { Metrics } from '../../platform/metrics/index.ts';
import type { RateLimiter } from '../../platform/rate-limit/index.ts';

export interface RateLimitsDeps {
  limiter: RateLimiter;
  rules: RateLimitsConfig;
  logger: Logger;
  metrics?: Metrics;
  /** Waits out a login slow-down; tests may replace it. */
  wait?: (ms: number) => Promise<void>;
}

export type RateLimits = ReturnType<typeof createRateLimits>;

/** Who an action is charged to: the signed-in user (absent on public operations) and the client address. */
export interface Caller {
  userId?: string;
  ip: string;
}

/** A bucket an action draws from: the metric's rule name, the bucket's key, its rule (null: off). */
type Check = [rule: string, key: string, bucket: BucketRuleConfig | null];

/** Classes that a signed-in caller or an address draws from with one token per request (login has its own shape). */
export type DrawClass = Exclude<RateLimitClass, 'login'>;

/** The `class` label of `parley_rate_limited_total`: the endpoint table's classes, and the limits outside it. */
export type LimitedClass = RateLimitClass | 'connect' | 'call_signal' | 'page_read';

/** First slow-down of a login past the per-handle bucket; it doubles with every attempt over. */
const LOGIN_DELAY_BASE_MS = 250;
/** Attempts over the per-handle bucket remembered for the doubling (they come back at the bucket's refill rate). */
const LOGIN_STRIKES = 16;

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Which buckets each action draws from: the one place that maps a rate-limit class of the
 * endpoint table to its buckets, for HTTP and the socket alike. A refusal is a
 * `rate_limited` error whose `details.retryAfterMs` says when to try again (HTTP adds
 * `Retry-After`).
 */
export function createRateLimits({ limiter, rules, metrics, wait: waitFor = wait }: RateLimitsDeps) {
  /** How long to wait, or null when every bucket had a token. */
  async function take(limitedClass: LimitedClass, checks: Check[]): Promise<{ rule: string; retryAfterMs: number } | null> {
    for (const [rule, key, bucket] of checks) {
      // A key ending in ':' has no subject (no user on a public route): nothing to charge.
      if (!bucket || key.endsWith(':')) continue;
      const decision = await limiter.take(key, bucket);
      if (!decision.allowed) {
        metrics?.rateLimited.inc({ class: limitedClass, rule });
        return { rule, retryAfterMs: decision.retryAfterMs };
      }
    }
    return null;
  }

  async function enforce(limitedClass: LimitedClass, what: string, checks: Check[]): Promise<void> {
    const refused = await take(limitedClass, checks);
    if (refused) throw new AppError('rate_limited', `Too many ${what}; retry in ${Math.ceil(refused.retryAfterMs / 1000)} s.`, { retryAfterMs: refused.retryAfterMs, rule: refused.rule });
  }

  /**
   * Each class's buckets, narrowest first: a caller who empties their own bucket is refused
   * before they drain a shared one (the address's, or the service's for sign-ups).
   */
  const classes: Record<DrawClass, { what: string; checks: (caller: Caller) => Check[] }> = {
    send: {
      what: 'messages',
      checks: ({ userId = '', ip }) => [
        ['sends_per_user', `send:u:${userId}`, rules.sendsPerUser],
        ['sends_per_ip', `send:ip:${ip}`, rules.sendsPerIp],
      ],
    },
    edit: { what: 'edits', checks: ({ userId = '' }) => [['edits_per_user', `edit:u:${userId}`, rules.editsPerUser]] },
    upload: { what: 'uploads', checks: ({ userId = '' }) => [['uploads_per_user', `upload:u:${userId}`, rules.uploadsPerUser]] },
    react: { what: 'reactions', checks: ({ userId = '' }) => [['reactions_per_user', `react:u:${userId}`, rules.reactionsPerUser]] },
    report: { what: 'reports', checks: ({ userId = '' }) => [['reports_per_user', `report:u:${userId}`, rules.reportsPerUser]] },
    call: { what: 'call requests', checks: ({ userId = '' }) => [['calls_per_user', `call:u:${userId}`, rules.callsPerUser]] },
    search: { what: 'searches', checks: ({ userId = '' }) => [['searches_per_user', `search:u:${userId}`, rules.searchesPerUser]] },
    create_conversation: { what: 'new conversations', checks: ({ userId = '' }) => [['conversations_per_user', `conv:u:${userId}`, rules.conversationsPerUser]] },
    // Every sign-up costs a password hash: one address is bounded, and so is the whole service (a
    // spread-out flood then slows sign-ups for everyone instead of eating the CPU).
    register: {
      what: 'sign-ups',
      checks: ({ ip }) => [
        ['registrations_per_ip', `reg:ip:${ip}`, rules.registrationsPerIp],
        ['registrations', 'reg:all', rules.registrations],
      ],
    },
  };

  /**
   * Past the per-handle bucket a login is slowed, never refused: how long, doubling with
   * each attempt over the bucket (strikes refill at the bucket's own rate), up to the
   * configured maximum. 0 while the bucket has tokens.
   */
  async function loginDelay(handle: string): Promise<number> {
    const rule = rules.loginsPerHandle;
    if (!rule || rules.loginDelayMaxMs === 0) return 0;
    if ((await limiter.take(`login:h:${handle}`, rule)).allowed) return 0;
    metrics?.rateLimited.inc({ class: 'login', rule: 'logins_per_handle' });
    const strikes = await limiter.take(`login:hs:${handle}`, { capacity: LOGIN_STRIKES, refillPerSec: rule.refillPerSec });
    const over = LOGIN_STRIKES - strikes.remaining;
    return Math.min(rules.loginDelayMaxMs, LOGIN_DELAY_BASE_MS * 2 ** (over - 1));
  }

  return {
    /** Takes a token from each bucket of `rateLimitClass` for this caller, or throws `rate_limited`. */
    draw(rateLimitClass: DrawClass, caller: Caller): Promise<void> {
      const { what, checks } = classes[rateLimitClass];
      return enforce(rateLimitClass, what, checks(caller));
    },

    /**
     * Logins slow password guessing, whether the password is right or not (so the limits
     * reveal nothing about it). Refused: too many from one address, or for one handle from
     * one address. Only slowed: too many for one handle from everywhere — a per-handle
     * refusal would let anyone lock the owner out by guessing wrong on purpose. The price: a
     * guesser spread over many addresses is held back only by the per-address buckets and
     * the slow-down (docs/operations.md, "Rate limits and overload").
     */
    async login(ip: string, handle: string): Promise<void> {
      const name = handle.toLowerCase();
      await enforce('login', 'sign-in attempts', [
        ['logins_per_handle_ip', name ? `login:hip:${name}:${ip}` : ':', rules.loginsPerHandleIp],
        ['logins_per_ip', `login:ip:${ip}`, rules.loginsPerIp],
      ]);
      if (!name) return;
      const delayMs = await loginDelay(name);
      if (delayMs > 0) await waitFor(delayMs);
    },

    /** One call signaling frame (offer, answer, ICE candidate): a flood of candidates is refused, not relayed. */
    signal(userId: string): Promise<void> {
      return enforce('call_signal', 'call signals', [['call_signals_per_user', `sig:u:${userId}`, rules.callSignalsPerUser]]);
    },

    /** Connection attempts from one address: how long to wait, or null when admitted. */
    async connectAddress(ip: string): Promise<number | null> {
      return (await take('connect', [['connects_per_ip', `conn:ip:${ip}`, rules.connectsPerIp]]))?.retryAfterMs ?? null;
    },

    async connectUser(userId: string): Promise<void> {
      const refused = await take('connect', [['connects_per_user', `conn:u:${userId}`, rules.connectsPerUser]]);
      if (refused) {
        metrics?.refused.inc({ reason: 'rate_limited' });
        throw new AppError('rate_limited', 'Too many connections for this user; retry later.', { retryAfterMs: refused.retryAfterMs, rule: refused.rule });
      }
    },
  };
}

/**
 * HTTP side of the limits, from each operation's `rateLimit` class in the endpoint table:
 * `login` before the password is checked, `register` per address and for the service, the
 * others per signed-in user (after authentication). Runs after validation, so malformed
 * requests cost no tokens.
 */
export function registerRateLimitHooks(app: FastifyInstance, deps: { rateLimits: RateLimits }): void {
  const { rateLimits } = deps;
  app.addHook('preHandler', async (request: FastifyRequest) => {
    const rateLimit = endpointOf(request)?.rateLimit;
    if (!rateLimit) return;
    if (rateLimit === 'login') {
      const handle = (request.body as { handle?: unknown } | undefined)?.handle;
      await rateLimits.login(request.ip, typeof handle === 'string' ? handle : '');
    } else if (rateLimit === 'register' || request.actor) {
      await rateLimits.draw(rateLimit, { ...(request.actor ? { userId: request.actor.userId } : {}), ip: request.ip });
    }
  });
}
