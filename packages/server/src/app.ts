import { createRequire } from 'node:module';
import { Endpoints } from '@parley/protocol';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config/index.ts';
import { createEphemeralPublisher, createGateway, createFrameHandlers, createPublisher, type Gateway } from './gateway/index.ts';
import { bearerToken, createHttpServer, endpointOf, registerRoutes, registerTracingHooks, requireAdmin, requireUser, route } from './http/index.ts';
import { createWebClientFallback } from './http/static.ts';
import { createAdminService, adminConversationRoutes, adminRoutes } from './modules/admin/index.ts';
import { callRoutes, createCallsService, createJanusBackend, createLivekitBackend, type MediaBackend } from './modules/calls/index.ts';
import { createAccessTokens, createAdminKeyCheck, createAuthService, createExternalVerifier, loadSigningKey, authRoutes } from './modules/auth/index.ts';
import { createConversationsService, createMembershipLoader, conversationRoutes } from './modules/conversations/index.ts';
import { createUnitOfWork } from './modules/logs/index.ts';
import { createInvitesService, inviteRoutes } from './modules/invites/index.ts';
import { createJoinRequestNotices, createMembershipService, membershipRoutes } from './modules/membership/index.ts';
import { createClamdScanner, createFfmpegDecoder, createMediaService, createResumableUploads, findFfmpeg, mediaRoutes } from './modules/media/index.ts';
import { createMessagesService, messageRoutes } from './modules/messages/index.ts';
import { createModerationService, moderationRoutes } from './modules/moderation/index.ts';
import { createPolicyHook, noPolicyHook } from './modules/policy/index.ts';
import { createPrivacyService, privacyRoutes } from './modules/privacy/index.ts';
import { createInboxService, inboxRoutes } from './modules/inbox/index.ts';
import { createRetentionService, retentionRoutes } from './modules/retention/index.ts';
import { createExportsService, exportsRoutes } from './modules/exports/index.ts';
import { createSearchService, searchRoutes } from './modules/search/index.ts';
import { createMessageIndex } from './modules/search-index/index.ts';
import { createSyncService, syncRoutes } from './modules/sync/index.ts';
import { createProfileNotices, createUsersService, userRoutes } from './modules/users/index.ts';
import { createDevicesService, deviceRoutes } from './modules/devices/index.ts';
import { createPresenceService, presenceRoutes } from './modules/presence/index.ts';
import { createCallRingPush, createPushProviders, createPushService, createPushWorker, loadVapidKeys, pushRoutes } from './modules/push/index.ts';
import { createRateLimits, registerPageReadLimit, registerRateLimitHooks } from './modules/rate-limits/index.ts';
import { createReceiptsService, receiptRoutes } from './modules/receipts/index.ts';
import { createTypingService } from './modules/typing/index.ts';
import type { ChangeSet } from './modules/logs/index.ts';
import { blobReadOrigins, createBlobStore, createBlobUrlSigner } from './platform/blob/index.ts';
import { AppError } from './platform/errors.ts';
import { createLoadMonitor } from './platform/load-monitor.ts';
import { createMetrics } from './platform/metrics/index.ts';
import { createMemoryPresenceStore, createRedisPresenceStore, type MemoryPresenceState } from './platform/presence/index.ts';
import { createMemoryRateLimiter, createRedisRateLimiter } from './platform/rate-limit/index.ts';
import { connectRedis, quitRedis } from './platform/redis-client.ts';
import { type Broker, createMemoryBroker, createNatsBroker, createNatsJetStreamBroker, createRedisBroker, withPublishTiming } from './platform/broker/index.ts';
import { type Database, openDatabase } from './platform/db/index.ts';
import { createLogger, type Logger } from './platform/logger.ts';
import { type Clock, systemClock } from './platform/time.ts';
import { openTracing, type Tracing } from './platform/tracing/index.ts';
import { runsBackgroundJobs, servesApi, servesSockets } from './config/index.ts';


/** Connections the kernel may hold for the node before it accepts them (see `listen`). */
const LISTEN_BACKLOG = 8_192;
export const VERSION: string = createRequire(import.meta.url)('../package.json').version;

export interface AppOverrides {
  logger?: Logger;
  /** A broker shared by several apps in one process (tests of multi-node behaviour). */
  broker?: Broker;
  clock?: Clock;
  /** Presence shared by several apps in one process (without Redis), like `broker`. */
  presenceState?: MemoryPresenceState;
  /** Tracing made by the caller (tests with an in-memory exporter); it is not shut down by close(). */
  tracing?: Tracing;
}

export interface App {
  readonly config: Readonly<Config>;
  readonly http: FastifyInstance;
  readonly gateway: Gateway;
  readonly db: Database;
  readonly logger: Logger;
  readonly tracing: Tracing;
  /** The background jobs this process runs (none on ROLE=gateway or api). */
  readonly jobs: readonly string[];
  /** Starts listening; resolves to the base URL. */
  listen(): Promise<string>;
  /** Closes at once: WebSockets closed with a resumable code, HTTP stopped, broker and database closed. */
  close(): Promise<void>;
  /**
   * Graceful shutdown (SIGTERM): readiness fails, new connections are refused, sockets are
   * asked to reconnect elsewhere spread over the drain window after their in-flight
   * requests finish, HTTP requests finish, then everything closes.
   */
  shutdown(): Promise<void>;
}

/** The broker `BROKER` (or the URLs set) chose. */
function openBroker(config: Readonly<Config>, logger: Logger): Promise<Broker> | Broker {
  switch (config.broker.kind) {
    case 'nats': return config.broker.jetstream
      ? createNatsJetStreamBroker(config.broker.url, logger, config.broker.subjectPrefix, config.broker.jetstream)
      : createNatsBroker(config.broker.url, logger, config.broker.subjectPrefix);
    case 'redis': return createRedisBroker(config.broker.url, logger, config.redisKeyPrefix, { silenceMs: config.redisCommandTimeoutMs });
    default: return createMemoryBroker();
  }
}

/** The one place that wires the server together. */
export async function createApp(config: Readonly<Config>, overrides: AppOverrides = {}): Promise<App> {
  const logger = overrides.logger ?? createLogger({ level: config.logLevel, nodeId: config.nodeId });
  const clock = overrides.clock ?? systemClock;
  const tracing = overrides.tracing ?? (await openTracing(config.tracing, { nodeId: config.nodeId, version: VERSION }));
  const role = config.role;
  // Push credentials are read first: a missing or bad key file fails the start before anything is opened.
  const vapid = config.push.webPush ? loadVapidKeys(config.push.webPush.vapid, config.dataDir) : null;
  const pushProviders = config.push.enabled ? createPushProviders(config.push, vapid, clock) : new Map();
  const metrics = createMetrics();
  const db = await openDatabase({
    databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.db.poolSize, preparedStatements: config.db.preparedStatements, sqliteSynchronous: config.db.sqliteSynchronous, sqliteWriter: config.db.sqliteWriter, logger,
    onQuery: (seconds, outcome) => metrics.dbQuery.observe({ outcome }, seconds),
  });
  let transport: Broker;
  try {
    transport = overrides.broker ?? (await openBroker(config, logger));
  } catch (error) {
    await db.close();
    throw error;
  }

  // Shared state (presence, rate-limit buckets) lives in Redis when it is configured.
  let stateRedis: Awaited<ReturnType<typeof connectRedis>> | null = null;
  try {
    if (config.redisUrl) stateRedis = await connectRedis(config.redisUrl, logger, `state:${config.nodeId}`, { commandTimeoutMs: config.redisCommandTimeoutMs });
  } catch (error) {
    if (!overrides.broker) await transport.close();
    await db.close();
    throw error;
  }
  const broker = withPublishTiming(transport, (seconds, outcome) => metrics.brokerPublish.observe({ outcome }, seconds));
  broker.onGap(() => metrics.brokerGaps.inc());
  const load = createLoadMonitor({ thresholdMs: config.overload.eventLoopLagMs });
  const ephemeral = createEphemeralPublisher(broker, logger, (kind) => metrics.ephemeral.inc({ kind }));
  const limiter = stateRedis ? createRedisRateLimiter(stateRedis, logger, `${config.redisKeyPrefix}rl:`) : createMemoryRateLimiter(clock);
  const presenceStore = stateRedis
    ? createRedisPresenceStore(stateRedis, { ttlMs: config.realtime.presenceTtlMs, prefix: `${config.redisKeyPrefix}p:` })
    : createMemoryPresenceStore({ ttlMs: config.realtime.presenceTtlMs, ...(overrides.presenceState ? { state: overrides.presenceState } : {}) });

  // What committed changes mean beyond the logs (receipts, presence visibility, metrics):
  // observers run after the publisher, after commit, like it.
  const publish = createPublisher(broker, logger, { coalesceMembersAt: config.ws.membersCoalesceAt, tracing });
  const observers: Array<(changes: ChangeSet) => void> = [];
  const uow = createUnitOfWork(db, (changes) => {
    publish(changes);
    for (const observe of observers) {
      try {
        observe(changes);
      } catch (error) {
        logger.warn({ err: error }, 'a change observer failed');
      }
    }
  }, {
    transaction: (seconds, outcome) => metrics.dbTransaction.observe({ outcome }, seconds),
    published(changes, seconds) {
      if (changes.conversationEvents.some(({ event }) => event.type === 'message.created')) metrics.sendToPublish.observe(seconds);
    },
  }, tracing);
  const signingKey = loadSigningKey(config.auth.jwtSecret, config.dataDir);
  // The store touches neither disk nor network before its first file (and loads the AWS SDK only for S3).
  const blobs = await createBlobStore(config.blobs, { secret: signingKey, clock });
  const ffmpeg = await findFfmpeg(config.media.ffmpeg);
  if (!ffmpeg && config.media.ffmpeg !== 'auto' && config.media.ffmpeg !== 'off') throw new Error(`MEDIA_FFMPEG: no executable ffmpeg with ffprobe beside it at ${config.media.ffmpeg}`);
  const blobSigner = createBlobUrlSigner({ secret: signingKey, clock });
  const media = createMediaService({
    db, store: blobs, signer: blobSigner, config: config.media, clock, logger,
    scanner: config.media.clamd ? createClamdScanner(config.media.clamd) : null,
    decoder: ffmpeg ? createFfmpegDecoder(ffmpeg, config.media.ffmpegTimeoutMs) : null,
  });
  const resumable = createResumableUploads({ db, store: blobs, media, config: config.media, clock, logger });
  const users = createUsersService({ db, uow, clock, pictures: media });
  const auth = createAuthService({
    db,
    uow,
    users,
    accessTokens: createAccessTokens({ key: signingKey, issuer: config.auth.issuer, audience: config.auth.audience, ttlSec: config.auth.accessTokenTtlSec }),
    external: config.auth.external ? createExternalVerifier(config.auth.external) : null,
    ownIssuer: config.auth.issuer,
    refreshTtlSec: config.auth.refreshTokenTtlSec,
    refreshKey: signingKey,
    allowRegistration: config.allowRegistration,
    clock,
  });
  const hook = config.policyHook ? createPolicyHook(config.policyHook, logger) : noPolicyHook;
  const limits = { maxGroupMembers: config.limits.maxGroupMembers, maxChannelMembers: config.limits.maxChannelMembers, maxOwnedConversations: config.limits.maxOwnedConversations, maxConversationsPerUser: config.limits.maxConversationsPerUser };
  const conversations = createConversationsService({ db, uow, clock, limits, hook, pictures: media });
  const joinRequests = createJoinRequestNotices({ db: db.kysely, ephemeral, clock, onError: (error) => logger.warn({ err: error }, 'a join request was not announced') });
  const membership = createMembershipService({ db, uow, clock, limits, hook, conversations, joinRequests });
  const invites = createInvitesService({ db, uow, clock, limits, hook, conversations, joinRequests });
  const privacy = createPrivacyService({ db, uow, clock });
  const moderation = createModerationService({ db, uow, clock });
  const push = createPushService({ db, uow, clock, onlineGraceMs: config.push.onlineGraceMs, vapidPublicKey: vapid?.publicKey ?? null });
  const index = createMessageIndex(db.dialect, config.search.language);
  const messages = createMessagesService({
    db, uow, clock, hook, index, maxMessageLength: config.limits.maxMessageLength, pageMaxBytes: config.limits.pageMaxBytes,
    enqueuePush: config.push.enabled ? push.enqueue : null,
    files: media,
  });
  const search = createSearchService({ db, ...config.search });
  const inbox = createInboxService({ db, uow, clock });
  const retention = createRetentionService({ db, uow, clock, logger, messages, ...config.retention });
  const membershipOf = createMembershipLoader(db.kysely);
  const sync = createSyncService({ db, membershipOf, resetThreshold: config.limits.syncResetThreshold, pageMaxBytes: config.limits.pageMaxBytes });
  const exports = createExportsService({ db, store: blobs, signer: blobSigner, config: config.exports, clock, logger });
  const admin = createAdminService({ users, membership, exports });
  const rateLimits = createRateLimits({ limiter, rules: config.rateLimits, logger, metrics });
  const receipts = createReceiptsService({ db, ephemeral, clock, maxGroup: config.realtime.receiptsMaxGroup });
  const typing = createTypingService({ db, ephemeral, clock, ttlMs: config.realtime.typingTtlMs, throttleMs: config.realtime.typingThrottleMs });
  const presence = createPresenceService({ db, uow, store: presenceStore, ephemeral, clock, logger, nodeId: config.nodeId, fanoutMax: config.realtime.presenceFanoutMax });
  const devices = createDevicesService({ db, users, clock, webPushHosts: config.push.webPush?.hosts ?? null });
  const profiles = createProfileNotices({
    db: db.kysely, ephemeral, fanoutMax: config.realtime.presenceFanoutMax, maxGroup: config.realtime.receiptsMaxGroup,
    onError: (error) => logger.warn({ err: error }, 'a profile change was not announced'),
  });
  const { livekit, janus, mediaBackend } = config.calls;
  const callMedia: MediaBackend | null = mediaBackend === 'livekit' && livekit ? createLivekitBackend({ ...livekit, logger })
    : mediaBackend === 'janus' && janus ? createJanusBackend({ ...janus, logger })
    : null;
  const calls = createCallsService({
    db,
    uow,
    clock,
    ephemeral,
    logger,
    config: config.calls,
    media: callMedia,
    drawSignal: (userId) => rateLimits.signal(userId),
    ringPush: config.push.enabled
      ? createCallRingPush({
          db, clock,
          async online(userIds) {
            const statuses = await presenceStore.get(userIds);
            return new Set(userIds.filter((id) => statuses.get(id)?.online));
          },
          // The worker is made below; rings only happen once the app serves.
          wake: () => pushWorker?.wake(),
          platforms: new Set(pushProviders.keys()),
        })
      : null,
  });
  // Call updates that follow other changes (removals, blocks, sockets coming and going) run
  // after them; closing waits for those still running before the stores close.
  const callWork = new Set<Promise<void>>();
  const afterCalls = (work: Promise<void>) => {
    const tracked: Promise<void> = work
      .catch((error: unknown) => logger.warn({ err: error }, 'updating calls after a change failed'))
      .finally(() => callWork.delete(tracked));
    callWork.add(tracked);
  };
  observers.push((changes) => {
    // Kicked, banned or gone from a conversation: out of its call too.
    // (Read from their own log: a channel's log does not name its subscribers.)
    for (const { userId, event } of changes.userEvents) {
      if (event.type === 'conversation.removed') afterCalls(calls.memberRemoved(event.data.conversationId, userId));
      // A block ends the direct calls between the two.
      else if (event.type === 'block.added') afterCalls(calls.blocked(userId, event.data.userId));
    }
  });
  // Background jobs run where ROLE says (all, or worker): the call sweep, the push worker,
  // the file sweep and retention. Presence's heartbeat belongs with the sockets; its sweep of
  // crashed nodes' entries runs there and on workers (it is safe on many nodes at once).
  const jobs = runsBackgroundJobs(role);
  if (jobs) calls.startSweeper();
  const pushWorker = jobs && config.push.enabled && config.push.worker
    ? createPushWorker({
        db, providers: pushProviders, clock, logger, metrics, nodeId: config.nodeId,
        async online(userIds) {
          const statuses = await presenceStore.get(userIds);
          return new Set(userIds.filter((id) => statuses.get(id)?.online));
        },
        options: { ...config.push, retentionMs: 24 * 3600_000 },
      })
    : null;
  observers.push((changes) => {
    for (const { event } of changes.conversationEvents) {
      if (event.type !== 'message.created') continue;
      metrics.messagesSent.inc();
      // Its outbox row is due once the online grace has passed.
      pushWorker?.wake(config.push.onlineGraceMs);
    }
    for (const { userId, event } of changes.userEvents) {
      if (event.type === 'read') receipts.readMoved(userId, event.data.conversationId);
      // A block changes who may see the blocker's presence.
      else if (event.type === 'block.added' || event.type === 'block.removed') void presence.visibilityChanged(userId).catch(() => {});
      // Leaving a conversation can end "sharing a conversation": those watching the leaver read their verdict again
      // (the leaver's own watches are read again by the gateway, which hears of the removal first).
      else if (event.type === 'conversation.removed') void presence.visibilityChanged(userId).catch(() => {});
      // Others show this name in their lists and timelines.
      else if (event.type === 'profile.updated') profiles.changed(event.data.user);
    }
  });
  if (servesSockets(role) || jobs) presence.start();
  // Expired uploads (whole or resumable) and files no message uses any more: one sweep at a time, never overlapping.
  let sweeping: Promise<void> | null = null;
  const sweepTimer = jobs && config.media.sweepIntervalMs > 0
    ? setInterval(() => {
        sweeping ??= Promise.all([media.sweep(), resumable.sweep()]).then(
          ([deleted, abandoned]) => void (deleted + abandoned > 0 && logger.info({ deleted, abandoned }, 'deleted expired files')),
          (error: unknown) => logger.warn({ err: error }, 'the file sweep failed'),
        ).finally(() => void (sweeping = null));
      }, config.media.sweepIntervalMs)
    : null;
  sweepTimer?.unref();
  pushWorker?.start();
  if (jobs) retention.start();
  if (jobs) exports.start();
  const jobNames = jobs ? ['call-sweep', ...(pushWorker ? ['push-worker'] : []), ...(sweepTimer ? ['file-sweep'] : []), 'retention', 'exports'] : [];

  const http = await createHttpServer({ logger, bodyLimit: config.limits.httpBodyBytes, idleTimeoutMs: config.limits.httpIdleTimeoutMs, maxHeaderBytes: config.limits.httpMaxHeaderBytes, version: VERSION, trustProxy: config.trustProxy,
    // The web client (packages/web/dist) at `/`, for every GET no route claims.
    // The web client's call window calls Janus' HTTP API itself (group calls through Janus).
    notFoundFallback: createWebClientFallback({ mediaOrigins: blobReadOrigins(config.blobs), connectOrigins: mediaBackend === 'janus' && janus ? [new URL(janus.url).origin] : [] }),
  });
  // Every answer timed by the operation it served (the endpoint table's operationId: bounded label values).
  http.addHook('onResponse', (request, reply, done) => {
    metrics.httpDuration.observe({ operation: endpointOf(request)?.operationId ?? 'unmatched', status: `${Math.floor(reply.statusCode / 100)}xx` }, reply.elapsedTime / 1000);
    done();
  });
  if (tracing.enabled) registerTracingHooks(http, tracing);
  if (!servesApi(role)) {
    // A gateway or worker answers its probes and metrics; any other request was routed here by
    // mistake and gets a typed 404 before authentication costs anything.
    http.addHook('onRequest', async (request) => {
      const operation = endpointOf(request)?.operationId;
      if (operation === 'getHealth' || operation === 'getReadiness' || operation === 'getMetrics') return;
      throw new AppError('not_found', `This process (ROLE=${role}) serves ${servesSockets(role) ? 'WebSockets' : 'background jobs'} and health checks only; HTTP API requests go to an api process.`);
    });
  }
  registerRateLimitHooks(http, { rateLimits });
  registerPageReadLimit(http, { maxPerUser: config.rateLimits.pageReadsPerUser, metrics });
  let draining = false;
  const isMetricsToken = config.metricsToken ? createAdminKeyCheck(config.metricsToken) : null;
  const operationsRoutes = [
    route(Endpoints.getHealth, () => ({ status: 'ok' })),
    route(Endpoints.getReadiness, async ({ reply }) => {
      const ready = !draining && (await db.ready());
      reply.status(ready ? 200 : 503);
      // Redis being away does not fail readiness: the node still serves its own sockets live and sync heals the rest,
      // while failing every node of a cluster at once would take the whole service out of the load balancer.
      return { status: ready ? 'ready' : draining ? 'draining' : 'database unavailable', broker: broker.state() };
    }),
    route(Endpoints.getMetrics, async ({ request, reply }) => {
      // Not public on the API listener: only a scraper holding METRICS_TOKEN reads them.
      if (!config.metricsEnabled) throw new AppError('not_found', 'Metrics are disabled on this server (METRICS_ENABLED=false).');
      if (!isMetricsToken) throw new AppError('not_found', 'Metrics are not served over HTTP until METRICS_TOKEN is set.');
      if (!isMetricsToken(bearerToken(request))) throw new AppError('unauthorized', 'A valid metrics token is required.');
      const { contentType, body } = await metrics.render();
      return reply.type(contentType).send(body);
    }),
    route(Endpoints.getOpenApiDocument, () => http.swagger()),
  ];
  await registerRoutes(http, [
    ...operationsRoutes,
    ...authRoutes({ auth }),
    ...userRoutes({ users }),
    ...conversationRoutes({ conversations }),
    ...membershipRoutes({ membership }),
    ...inviteRoutes({ invites }),
    ...privacyRoutes({ privacy }),
    ...moderationRoutes({ moderation }),
    ...messageRoutes({ messages }),
    ...mediaRoutes({ media, resumable }),
    ...searchRoutes({ search }),
    ...inboxRoutes({ inbox }),
    ...retentionRoutes({ retention }),
    ...exportsRoutes({ exports }),
    ...syncRoutes({ sync }),
    ...receiptRoutes({ receipts }),
    ...presenceRoutes({ presence }),
    ...deviceRoutes({ devices }),
    ...callRoutes({ calls }),
    ...pushRoutes({ push }),
    ...adminRoutes({ users, auth, admin }),
    ...adminConversationRoutes({ conversations, membership, messages, moderation, users }),
  ], {
    user: requireUser((token) => auth.authenticate(token)),
    admin: requireAdmin(createAdminKeyCheck(config.adminApiKey)),
  });

  const gateway = createGateway({
    config,
    broker,
    logger,
    authenticate: (token) => auth.authenticate(token),
    requireActive: (actor) => auth.requireActive(actor),
    clock,
    loadMembership: membershipOf,
    handlers: createFrameHandlers({ messages, conversations, membership, invites, moderation, sync, live: { receipts, typing, presence, rateLimits, calls } }),
    presence,
    load,
    metrics,
    tracing,
    lifecycle: {
      admitAddress: (ip) => rateLimits.connectAddress(ip),
      admitUser: (actor) => rateLimits.connectUser(actor.userId),
      ready(connection) {
        connection.presenceId = presence.connected(connection.userId);
        devices.touch({ userId: connection.userId, sessionId: connection.sessionId });
        afterCalls(calls.deviceBack(connection.userId, connection.sessionId));
      },
      gone(connection) {
        if (connection.presenceId) presence.disconnected(connection.presenceId);
        // A caller whose device goes away stops ringing the others; a participant's grace starts.
        // Not while this node drains: its sockets come back on another node at once.
        if (connection.userId && !draining) afterCalls(calls.deviceGone(connection.userId, connection.sessionId));
      },
    },
  });
  metrics.observeGateway(() => gateway.stats(), () => gateway.bufferedBytes(), () => gateway.pushedFrames());
  metrics.observeLoad(load.lagMs, load.overloaded);
  metrics.observeBroker(() => broker.state());
  if (servesSockets(role)) {
    http.server.on('upgrade', (request, socket, head) => gateway.handleUpgrade(request, socket, head));
  } else {
    // An api or worker process takes no sockets: the balancer should send /v1/ws to gateways.
    http.server.on('upgrade', (_request, socket) => {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
  }

  let closing: Promise<void> | null = null;
  const closeRest = async () => {
    // Requests in flight finish; a socket that is stalled mid-request, or never sent one,
    // is not waited for past the grace.
    const cutOff = setTimeout(() => http.server.closeAllConnections(), config.shutdown.drainGraceMs);
    await http.close();
    clearTimeout(cutOff);
    await calls.stop();
    while (callWork.size > 0) await Promise.allSettled([...callWork]);
    // Sends in flight finish and are recorded; what was claimed and not started is given back.
    await pushWorker?.stop();
    for (const provider of pushProviders.values()) await provider.close();
    await retention.stop();
    await exports.stop();
    await presence.close();
    if (sweepTimer) clearInterval(sweepTimer);
    await sweeping;
    await blobs.close();
    await limiter.close();
    load.stop();
    if (stateRedis) await quitRedis(stateRedis);
    // A broker handed in (shared by several apps in one process) belongs to the caller.
    if (!overrides.broker) await broker.close();
    await db.close();
    // Spans still buffered are exported last (a tracing handed in belongs to the caller).
    if (!overrides.tracing) await tracing.shutdown().catch((error: unknown) => logger.warn({ err: error }, 'exporting the last spans failed'));
  };
  return {
    config,
    http,
    gateway,
    db,
    logger,
    tracing,
    jobs: jobNames,
    async listen() {
      // A restarted node meets every client of its sockets at once: with Node's default queue of
      // 511 unaccepted connections the kernel dropped ~100,000 SYNs of a 19,500-session storm and
      // each dropped one waited 1, 3, 7 … s to be resent. The kernel caps it (net.core.somaxconn).
      await http.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG });
      const address = http.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      return `http://${config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host}:${port}`;
    },
    close() {
      closing ??= (async () => {
        draining = true;
        await gateway.close();
        await closeRest();
      })();
      return closing;
    },
    shutdown() {
      closing ??= (async () => {
        const { delayMs, drainWindowMs, drainGraceMs } = config.shutdown;
        draining = true;
        // Readiness fails first; load balancers stop sending new clients during the delay.
        if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
        // Users who reconnect to another node within the window (plus a margin) never show offline.
        await presence.drain(drainWindowMs + 5_000);
        await gateway.drain(drainWindowMs, drainGraceMs);
        await closeRest();
      })();
      return closing;
    },
  };
}
