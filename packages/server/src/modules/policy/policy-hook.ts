import { createHmac } from 'node:crypto';
import type { HookAction, PolicyHookConfig } from '../../config/index.ts';
import { AppError } from '../../platform/errors.ts';
import type { Logger } from '../../platform/logger.ts';

export interface HookRequest {
  action: HookAction;
  actorId: string;
  conversationId?: string | null;
  kind?: string;
  userIds?: readonly string[];
  text?: string;
  /** Set on an edit (`message.send` / `channel.post` with the new text): the text of `messageId` would change. */
  edit?: true;
  messageId?: string;
}

/**
 * Consulted before an action (never inside a transaction: it is network I/O); `consult`
 * throws `forbidden` when refused. `wants` lets a caller skip preparing a request the
 * operator did not ask about.
 */
export interface PolicyHook {
  wants(action: HookAction): boolean;
  consult(request: HookRequest): Promise<void>;
}

/** Off by default: every action passes. */
export const noPolicyHook: PolicyHook = { wants: () => false, consult: async () => {} };

/**
 * An operator's HTTP endpoint that is asked about chosen actions. It answers
 * `{"allow": true}` or `{"allow": false, "reason": "…"}` within the timeout; anything else
 * (error, timeout, malformed answer) counts as failure and is decided by the fail mode.
 */
export function createPolicyHook(config: PolicyHookConfig, logger: Logger): PolicyHook {
  const consulted = new Set<HookAction>(config.actions);
  return {
    wants: (action) => consulted.has(action),
    async consult(request) {
      if (!consulted.has(request.action)) return;
      const body = JSON.stringify(request);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (config.secret) headers['x-parley-signature'] = `sha256=${createHmac('sha256', config.secret).update(body).digest('hex')}`;
      let verdict: { allow?: unknown; reason?: unknown } | null = null;
      try {
        const response = await fetch(config.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(config.timeoutMs) });
        if (response.ok) verdict = (await response.json()) as { allow?: unknown; reason?: unknown };
        else logger.warn({ status: response.status, action: request.action }, 'policy hook answered with an error');
      } catch (error) {
        logger.warn({ err: error instanceof Error ? error.message : error, action: request.action }, 'policy hook failed');
      }
      if (verdict && typeof verdict.allow === 'boolean') {
        if (verdict.allow) return;
        throw new AppError('forbidden', typeof verdict.reason === 'string' && verdict.reason ? verdict.reason.slice(0, 300) : 'Refused by policy.');
      }
      if (config.failMode === 'closed') throw new AppError('unavailable', 'The policy service did not answer; try again later.');
    },
  };
}
