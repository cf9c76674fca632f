import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { Config } from './config/index.ts';
import { createGateway, createFrameHandlers, createPublisher, type Gateway } from './gateway/index.ts';
import { createHttpServer } from './http/index.ts';
import { createAdminService, registerAdminRoutes } from './modules/admin/index.ts';
import { createAccessTokens, createAdminKeyCheck, createAuthService, createExternalVerifier, createRequireAdmin, createRequireUser, loadSigningKey, registerAuthRoutes } from './modules/auth/index.ts';
import { createConversationsService, membershipSnapshot, registerConversationRoutes } from './modules/conversations/index.ts';
import { createUnitOfWork } from './modules/logs/index.ts';
import { createMessagesService, registerMessageRoutes } from './modules/messages/index.ts';
import { createSyncService, registerSyncRoutes } from './modules/sync/index.ts';
import { createUsersService, registerUserRoutes } from './modules/users/index.ts';
import { type Broker, createMemoryBroker, createRedisBroker } from './platform/broker/index.ts';
import { type Database, openDatabase } from './platform/db/index.ts';
import { createLogger, type Logger } from './platform/logger.ts';
import { type Clock, systemClock } from './platform/time.ts';

export const VERSION: string = createRequire(import.meta.url)('../package.json').version;

export interface AppOverrides {
  logger?: Logger;
  /** A broker shared by several apps in one process (tests of multi-node behaviour). */
  broker?: Broker;
  clock?: Clock;
}

export interface App {
  readonly config: Readonly<Config>;
  readonly http: FastifyInstance;
  readonly gateway: Gateway;
  readonly db: Database;
  readonly logger: Logger;
  /** Starts listening; resolves to the base URL. */
  listen(): Promise<string>;
  /** Drains WebSockets (resumable close), stops HTTP, closes broker and database. */
  close(): Promise<void>;
}

/** The one place that wires the server together. */
export async function createApp(config: Readonly<Config>, overrides: AppOverrides = {}): Promise<App> {
  const logger = overrides.logger ?? createLogger({ level: config.logLevel, nodeId: config.nodeId });
  const clock = overrides.clock ?? systemClock;
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.db.poolSize, sqliteSynchronous: config.db.sqliteSynchronous, logger });
  let broker: Broker;
  try {
    broker = overrides.broker ?? (config.redisUrl ? await createRedisBroker(config.redisUrl, logger) : createMemoryBroker());
  } catch (error) {
    await db.close();
    throw error;
  }

  const uow = createUnitOfWork(db, createPublisher(broker, logger));
  const users = createUsersService({ db, uow, clock });
  const auth = createAuthService({
    db,
    users,
    accessTokens: createAccessTokens({ key: loadSigningKey(config.auth.jwtSecret, config.dataDir), issuer: config.auth.issuer, audience: config.auth.audience, ttlSec: config.auth.accessTokenTtlSec }),
    external: config.auth.external ? createExternalVerifier(config.auth.external) : null,
    ownIssuer: config.auth.issuer,
    refreshTtlSec: config.auth.refreshTokenTtlSec,
    allowRegistration: config.allowRegistration,
    clock,
  });
  const conversations = createConversationsService({ db, uow, clock, maxGroupMembers: config.limits.maxGroupMembers });
  const messages = createMessagesService({ db, uow, clock, maxMessageLength: config.limits.maxMessageLength });
  const sync = createSyncService({ db, resetThreshold: config.limits.syncResetThreshold });
  const admin = createAdminService({ users, conversations });

  const http = await createHttpServer({ logger, bodyLimit: config.limits.httpBodyBytes, version: VERSION });
  const requireUser = createRequireUser(auth);
  registerAuthRoutes(http, { auth, requireUser });
  registerUserRoutes(http, { users, requireUser });
  registerConversationRoutes(http, { conversations, requireUser });
  registerMessageRoutes(http, { messages, requireUser });
  registerSyncRoutes(http, { sync, requireUser });
  registerAdminRoutes(http, { users, auth, admin, requireAdmin: createRequireAdmin(createAdminKeyCheck(config.adminApiKey)) });

  const gateway = createGateway({
    config,
    broker,
    logger,
    authenticate: (token) => auth.authenticate(token),
    requireActive: (actor) => auth.requireActive(actor),
    loadMembership: (userId) => membershipSnapshot(db.kysely, userId),
    handlers: createFrameHandlers({ messages, conversations, sync }),
  });
  http.server.on('upgrade', (request, socket, head) => gateway.handleUpgrade(request, socket, head));

  let draining = false;
  const ops = { tags: ['operations'] };
  http.get('/healthz', { schema: { ...ops, summary: 'The process is alive', response: { 200: Type.Object({ status: Type.String() }) } } }, async () => ({ status: 'ok' }));
  http.get('/readyz', { schema: { ...ops, summary: 'Ready for traffic: database reachable, migrations applied, not draining' } }, async (_request, reply) => {
    const ready = !draining && (await db.ready());
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : draining ? 'draining' : 'database unavailable' });
  });

  let closing: Promise<void> | null = null;
  return {
    config,
    http,
    gateway,
    db,
    logger,
    async listen() {
      await http.listen({ port: config.port, host: config.host });
      const address = http.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      return `http://${config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host}:${port}`;
    },
    close() {
      closing ??= (async () => {
        draining = true;
        await gateway.close();
        await http.close();
        // A broker handed in (shared by several apps in one process) belongs to the caller.
        if (!overrides.broker) await broker.close();
        await db.close();
      })();
      return closing;
    },
  };
}
