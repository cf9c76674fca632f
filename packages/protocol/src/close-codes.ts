/**
 * WebSocket close codes are protocol. A client decides what to do from the code's
 * class alone, so new codes never need client changes:
 *
 * - `resume`: reconnect (with jittered backoff) and resume from the seqs you hold;
 *   nothing is lost.
 * - `reauth`: the token is no longer good; get a new one (refresh), then reconnect.
 * - `terminal`: do not reconnect; the session, account or client is not allowed back.
 */
export const CloseCodes = {
  // Standard codes the server (or the network) may produce.
  normal: 1000,
  goingAway: 1001,
  abnormal: 1006,
  messageTooBig: 1009,
  internalError: 1011,
  serviceRestart: 1012,
  tryAgainLater: 1013,
  // 4000-4099: reconnect and resume.
  serverShutdown: 4000,
  slowConsumer: 4001,
  overloaded: 4002,
  heartbeatTimeout: 4003,
  rebalance: 4004,
  // 4100-4199: get a fresh token, then reconnect.
  authRequired: 4100,
  tokenExpired: 4101,
  // 4200-4299: do not reconnect.
  invalidToken: 4200,
  sessionRevoked: 4201,
  accountSuspended: 4202,
  accountDeleted: 4203,
  protocolError: 4204,
} as const;

export type CloseCode = (typeof CloseCodes)[keyof typeof CloseCodes];

export type CloseClass = 'resume' | 'reauth' | 'terminal';

/** What a client should do after a close with this code. Unknown codes resume: losing nothing is the safe default. */
export function closeClass(code: number): CloseClass {
  if (code >= 4100 && code <= 4199) return 'reauth';
  if (code >= 4200 && code <= 4299) return 'terminal';
  if (code === CloseCodes.messageTooBig) return 'terminal';
  return 'resume';
}
