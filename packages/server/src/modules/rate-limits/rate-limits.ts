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
}

export type RateLimits = ReturnType<typeof createRateLimits>;

/**
 * Which buckets each action draws from. Sends and logins are checked per user (or
 * handle) and per client address; a refusal is a `rate_limited` error whose
 * `details.retryAfterMs` says when to try again (HTTP adds `Retry-After`).
 */
export function createRateLimits({ limiter, rules, metrics }: RateLimitsDeps) {
  /** How long to wait, or null when every bucket had a token. */
  async function take(checks: Array<[string, string, BucketRuleConfig | null]>): Promise<{ rule: string; retryAfterMs: number } | null> {
    for (const [rule, key, bucket] of checks) {
      if (!bucket || key.endsWith(':')) continue;
      const decision = await limiter.take(key, bucket);
      if (!decision.allowed) {
        metrics?.rateLimited.inc({ rule });
        return { rule, retryAfterMs: decision.retryAfterMs };
      }
    }
    return null;
  }

  async function enforce(what: string, checks: Array<[string, string, BucketRuleConfig | null]>): Promise<void> {
    const refused = await take(checks);
    if (refused) throw new AppError('rate_limited', `Too many ${what}; retry in ${Math.ceil(refused.retryAfterMs / 1000)} s.`, { retryAfterMs: refused.retryAfterMs, rule: refused.rule });
  }

  return {
    send: (userId: string, ip: string) =>
      enforce('messages', [
        ['sends_per_user', `send:u:${userId}`, rules.sendsPerUser],
        ['sends_per_ip', `send:ip:${ip}`, rules.sendsPerIp],
      ]),

    /** Logins slow password guessing per address and per account, whether the password is right or not. */
    login: (ip: string, handle: string) =>
      enforce('sign-in attempts', [
        ['logins_per_handle', `login:h:${handle.toLowerCase()}`, rules.loginsPerHandle],
        ['logins_per_ip', `login:ip:${ip}`, rules.loginsPerIp],
      ]),

    /** Connection attempts from one address: how long to wait, or null when admitted. */
    async connectAddress(ip: string): Promise<number | null> {
      return (await take([['connects_per_ip', `conn:ip:${ip}`, rules.connectsPerIp]]))?.retryAfterMs ?? null;
    },

    async connectUser(userId: string): Promise<void> {
      const refused = await take([['connects_per_user', `conn:u:${userId}`, rules.connectsPerUser]]);
      if (refused) {
        metrics?.refused.inc({ reason: 'rate_limited' });
        throw new AppError('rate_limited', 'Too many connections for this user; retry later.', { retryAfterMs: refused.retryAfterMs, rule: refused.rule });
      }
    },
  };
}

/**
 * HTTP side of the limits, from each operation's `rateLimit` class in the endpoint table:
 * `send` after authentication, `login` before the password is checked. Runs after
 * validation, so malformed requests cost no tokens.
 */
export function registerRateLimitHooks(app: FastifyInstance, deps: { rateLimits: RateLimits }): void {
  const { rateLimits } = deps;
  app.addHook('preHandler', async (request: FastifyRequest) => {
    const rateLimit = endpointOf(request)?.rateLimit;
    if (rateLimit === 'login') {
      const handle = (request.body as { handle?: unknown } | undefined)?.handle;
      await rateLimits.login(request.ip, typeof handle === 'string' ? handle : '');
    } else if (rateLimit === 'send' && request.actor) {
      await rateLimits.send(request.actor.userId, request.ip);
    }
  });
}
