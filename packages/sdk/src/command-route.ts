import type { AckDataOf, ClientFrameOf, ClientFrameType } from '@parley/protocol';
import { ParleyError } from './errors.ts';

/** Socket request types a command may use (`auth` belongs to the socket itself). */
export type CommandFrameType = Exclude<ClientFrameType, 'auth'>;
export type CommandFramePayload<T extends CommandFrameType> = Omit<ClientFrameOf<T>, 't' | 'id'>;

/** What routing needs of the realtime socket (`RealtimeSocket` fits). */
export interface FrameChannel {
  /** Authenticated and able to answer requests. */
  readonly isOpen: boolean;
  request<T extends CommandFrameType>(type: T, payload: CommandFramePayload<T>): Promise<AckDataOf<T>>;
}

/**
 * One command the SDK can carry two ways: `frame` is its socket form and `http` its HTTP
 * call, each when the protocol has one. A command without `http` (`sync`) works only
 * while the socket is open.
 */
export interface Command<T extends CommandFrameType, R> {
  frame?: { type: T; payload: CommandFramePayload<T> };
  http?: () => Promise<R>;
}

/**
 * The one place that decides socket or HTTP for a command: the socket when it is open
 * and the command has a frame (no request set-up, and the answer is ordered with the
 * live stream on the same connection), HTTP otherwise. The decision is made per
 * attempt, so a retry after a disconnect goes over HTTP until the socket is back.
 * Callers read only what both answers share (e.g. `.message` of a send).
 */
export function routeCommand<T extends CommandFrameType, R = never>(socket: FrameChannel, command: Command<T, R>): Promise<AckDataOf<T> | R> {
  if (command.frame && socket.isOpen) return socket.request(command.frame.type, command.frame.payload);
  if (command.http) return command.http();
  // Retryable: the caller's retry (or the next connect) sends it once the socket is back.
  return Promise.reject(new ParleyError('disconnected', `${command.frame?.type ?? 'command'} needs the socket, which is not connected`));
}
