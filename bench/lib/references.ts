import { LoadGenerator } from './load.ts';
import { startCeiling, startSocketIo, type ServerProcess } from './servers.ts';
import { mintToken } from './tokens.ts';
import type { SessionSpec } from './worker-protocol.ts';

/**
 * The servers Parley is measured beside, in the same invocation and by the same load
 * generator: the bare `ws` relay (the ceiling, bench/ceiling-server.ts) and Socket.IO 4
 * rooms (bench/socketio-server.ts, what a Node team would otherwise write).
 */
export type Reference = 'relay' | 'socketio';
export type Contender = Reference | 'parley';

export const CONTENDER_NAMES: Record<Contender, string> = { relay: 'relay (bare ws)', socketio: 'Socket.IO 4', parley: 'Parley' };

/** Each reference's port, past the Parley nodes' (which start at the scenario's --port). */
const PORT_OFFSET: Record<Reference, number> = { relay: 50, socketio: 51 };

/** The references a scenario's `--ceiling` and `--socketio` flags ask for, in run order. */
export function referencesFrom(options: { ceiling: boolean; socketio: boolean }): Reference[] {
  return [...(options.ceiling ? ['relay' as const] : []), ...(options.socketio ? ['socketio' as const] : [])];
}

export interface ReferenceSession {
  userId: string;
  /** The room (conversation) the session is in and sends to. */
  room: string;
}

function specFor(kind: Reference, server: ServerProcess, session: ReferenceSession): SessionSpec {
  return kind === 'relay'
    ? { protocol: 'relay', userId: session.userId, url: `${server.url.replace(/^http/, 'ws')}/?room=${encodeURIComponent(session.room)}`, token: null, conversationId: session.room }
    : { protocol: 'socketio', userId: session.userId, url: server.url, token: mintToken(session.userId), conversationId: session.room };
}

/**
 * Starts the reference server and a load generator holding `sessions` for it (not yet
 * connected), runs `body` with both, and stops both whatever happens.
 */
export async function withReference<T>(
  kind: Reference,
  basePort: number,
  sessions: ReferenceSession[],
  options: { perWorker?: number },
  body: (load: LoadGenerator, server: ServerProcess) => Promise<T>,
): Promise<T> {
  const port = basePort + PORT_OFFSET[kind];
  const server = kind === 'relay' ? await startCeiling(port) : await startSocketIo(port);
  try {
    const load = LoadGenerator.create(sessions.map((session) => specFor(kind, server, session)), options.perWorker ? { perWorker: options.perWorker } : {});
    try {
      return await body(load, server);
    } finally {
      await load.close();
    }
  } finally {
    await server.stop();
  }
}
