import { join } from 'node:path';
import type { MembersNoticePacing } from '../gateway/members-notice-pacing.ts';
import type { BlobStoreConfig } from '../platform/blob/create-blob-store.ts';
import type { JetStreamRetention } from '../platform/broker/nats-stream.ts';
import type { TracingConfig } from '../platform/tracing/tracing-config.ts';
import { ConfigError } from './config-error.ts';
import { crossFieldProblems } from './config-rules.ts';
import { type Env, envVariables, readEnv } from './env-reader.ts';
import type { EnvValues, HookAction } from './env.schema.ts';

/**
 * Configuration is read from the environment once, at start-up, through the schema in
 * `env.schema.ts`, validated, frozen and passed down. Nothing else reads `process.env`.
 * Invalid values fail the start with one error that names every bad variable.
 */
export interface ExternalAuthConfig {
  issuer: string;
  audience: string;
  /** HS256 shared secret; exclusive with `jwksUrl`. */
  secret: string | null;
  /** RS256 / ES256 / EdDSA keys published by the product's user service. */
  jwksUrl: string | null;
  algorithms: string[];
  clockSkewSec: number;
  nameClaim: string;
  handleClaim: string | null;
}

export interface PolicyHookConfig {
  url: string;
  actions: readonly HookAction[];
  timeoutMs: number;
  /** closed: refuse when the endpoint fails or is slow; open: allow. */
  failMode: 'closed' | 'open';
  /** Signs each body: `x-parley-signature: sha256=<hex hmac>`. */
  secret: string | null;
}

export type Role = 'all' | 'gateway' | 'api' | 'worker';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** Unset: embedded SQLite in `dataDir`. */
  databaseUrl: string | null;
  /** Unset: in-process broker (one node). */
  redisUrl: string | null;
  /** Every Redis key and channel starts with it, so deployments can share one Redis. */
  redisKeyPrefix: string;
  /** How long a shared-state Redis command may go unanswered before it fails and the connection is reopened. */
  redisCommandTimeoutMs: number;
  /** What carries events between nodes (`BROKER=auto` resolved). */
  broker: { kind: 'memory' } | { kind: 'redis'; url: string } | { kind: 'nats'; url: string; subjectPrefix: string; jetstream: JetStreamRetention | null };
  /** Unset: the admin API answers 401 to everything. */
  adminApiKey: string | null;
  nodeId: string;
  logLevel: string;
  /**
   * What this process runs: `all`, or one part of a split deployment on PostgreSQL + Redis —
   * `gateway` (WebSockets), `api` (HTTP) or `worker` (background jobs).
   */
  role: Role;
  /** OpenTelemetry tracing; null: off, and no OpenTelemetry module is loaded. */
  tracing: TracingConfig | null;
  allowRegistration: boolean;
  auth: {
    /** Unset: a key is generated on first start and kept in `dataDir`. */
    jwtSecret: string | null;
    issuer: string;
    audience: string;
    accessTokenTtlSec: number;
    refreshTokenTtlSec: number;
    external: ExternalAuthConfig | null;
  };
  limits: {
    maxMessageLength: number;
    maxGroupMembers: number;
    maxChannelMembers: number;
    /** Groups and channels one user may own: bounds what one account can make the service hold. */
    maxOwnedConversations: number;
    maxConversationsPerUser: number;
    httpBodyBytes: number;
    /**
     * An HTTP socket with no bytes either way for this long is closed. Node's own header
     * timeout never starts for a socket that has sent nothing, so without this a peer that
     * connects and goes silent holds a file (and a graceful shutdown) forever. WebSockets
     * are not affected: they have their own heartbeat.
     */
    httpIdleTimeoutMs: number;
    /** Request line plus headers, in bytes: Node answers larger ones 431 before any route runs. */
    httpMaxHeaderBytes: number;
    /** Frames larger than this get a `payload_too_large` error frame; the connection survives. */
    maxFrameBytes: number;
    /** Frames larger than this close the connection (1009): nobody legitimate sends them. */
    hardMaxFrameBytes: number;
    /** Bytes queued for one socket before it is closed as a slow consumer (resumable). */
    maxSocketBufferBytes: number;
    /** Requests one connection may have in flight. */
    maxInflightPerConnection: number;
    /** A client further behind than this in one conversation is told to reset it. */
    syncResetThreshold: number;
    /** Serialized size of one page of events or history: bounds what one answer holds in memory. */
    pageMaxBytes: number;
  };
  ws: {
    heartbeatMs: number;
    authTimeoutMs: number;
    /** How long a socket whose token expired has to present a fresh one. */
    reauthGraceMs: number;
    /** How long the hub holds an out-of-order event waiting for the one before it. */
    reorderHoldMs: number;
    /** Member count from which joins and leaves are coalesced instead of pushed to everyone (0: never). */
    membersCoalesceAt: number;
    /** How long a hub gathers coalesced membership changes before it tells members: at least `minMs`, longer in larger conversations. */
    membersNotices: MembersNoticePacing;
  };
  /** Null: off (every action passes). */
  policyHook: PolicyHookConfig | null;
  realtime: RealtimeConfig;
  /** Token buckets; a null rule is off. */
  rateLimits: RateLimitsConfig;
  overload: {
    /** New connections beyond this many on the node are refused (4002, resumable). */
    maxConnections: number;
    /** New connections are refused while the event loop lags more than this (0: never). */
    eventLoopLagMs: number;
    /** Sockets between upgrade and `ready` at once; more are refused with HTTP 503 before the upgrade (0: no bound). */
    maxPendingConnects: number;
    /** Upgrade requests that may wait for a pending-connect slot, and for how long (gateway/connect-queue.ts). */
    connectQueue: number;
    connectQueueMs: number;
  };
  shutdown: {
    /** After SIGTERM, readiness fails this long before the drain starts (load balancers notice). */
    delayMs: number;
    /** Sockets are asked to reconnect elsewhere spread over this window, in batches. */
    drainWindowMs: number;
    /** How long in-flight requests may take to finish before sockets are closed anyway. */
    drainGraceMs: number;
  };
  /** Take the client address from X-Forwarded-For (behind a trusted proxy). */
  trustProxy: boolean;
  metricsEnabled: boolean;
  /** The bearer token `/metrics` asks for; null: metrics are not served over HTTP. */
  metricsToken: string | null;
  db: {
    poolSize: number;
    /** PostgreSQL: statements of fixed shape as prepared statements (off behind a transaction-mode pooler). */
    preparedStatements: boolean;
    sqliteSynchronous: 'FULL' | 'NORMAL';
    sqliteWriter: 'thread' | 'inline';
  };
  /** Where uploaded files are kept: a local folder or an S3 bucket. */
  blobs: BlobStoreConfig;
  media: MediaConfig;
  calls: CallsConfig;
  push: PushConfig;
  retention: {
    /** 0: messages are kept forever unless a conversation sets its own retention. */
    defaultDays: number;
    intervalMs: number;
    batch: number;
  };
  exports: ExportsConfig;
  search: {
    /** PostgreSQL text search configuration messages are stemmed in (besides `simple`). */
    language: string;
    /** PostgreSQL statement_timeout of one message search. */
    timeoutMs: number;
    /** Newest matches ranked at most per search. */
    candidates: number;
  };
}

export interface ExportsConfig {
  /** Between a user's exports (0: no limit). */
  minIntervalMs: number;
  /** How long a finished archive is kept. */
  keepMs: number;
  urlTtlSec: number;
  intervalMs: number;
  /** Messages per read and per archive file. */
  batch: number;
  maxBytes: number;
}

export interface CallsConfig {
  ringTimeoutMs: number;
  reconnectGraceMs: number;
  sweepIntervalMs: number;
  maxRing: number;
  meshMaxParticipants: number;
  stunUrls: string[];
  /** Null: no TURN. */
  turn: { urls: string[]; secret: string; ttlSec: number } | null;
  /** Which backend carries group calls; null: none (group calls peer to peer, no calls in channels). */
  mediaBackend: 'livekit' | 'janus' | null;
  livekit: { url: string; apiUrl: string; apiKey: string; apiSecret: string; tokenTtlSec: number } | null;
  janus: { url: string; apiUrl: string; adminKey: string } | null;
}

export interface MediaConfig {
  maxFileBytes: number;
  userQuotaBytes: number;
  /** Content types, or `family/*`. */
  allowedTypes: readonly string[];
  imageMaxPixels: number;
  unusedTtlMs: number;
  deleteGraceMs: number;
  urlTtlSec: number;
  /** Resumable (tus) uploads: how long one may take, how many one user may have going. */
  resumableTtlMs: number;
  resumableMaxPerUser: number;
  /** 0: no sweep timer. */
  sweepIntervalMs: number;
  /** Null: no scanning. */
  clamd: { host: string; port: number; timeoutMs: number } | null;
  /** `auto`, `off` or the path of ffmpeg. */
  ffmpeg: string;
  ffmpegTimeoutMs: number;
}

/** Push notifications (docs/push.md). Files are named here and read when the app starts. */
export interface PushConfig {
  /** Messages queue outbox rows. */
  enabled: boolean;
  /** This node drains the outbox. */
  worker: boolean;
  onlineGraceMs: number;
  batchSize: number;
  concurrency: number;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  pollMs: number;
  timeoutMs: number;
  leaseMs: number;
  fcm: { serviceAccountFile: string; apiUrl: string } | null;
  apns: { keyFile: string; keyId: string; teamId: string; topic: string; url: string; caFile: string | null } | null;
  webPush: {
    /** Null: generated into the data directory. */
    vapid: { publicKey: string; privateKey: string } | null;
    subject: string;
    /** Hosts (and their subdomains) a subscription endpoint may name. */
    hosts: string[];
    ttlSec: number;
  } | null;
}

export interface BucketRuleConfig {
  capacity: number;
  refillPerSec: number;
}

export interface RateLimitsConfig {
  sendsPerUser: BucketRuleConfig | null;
  sendsPerIp: BucketRuleConfig | null;
  connectsPerUser: BucketRuleConfig | null;
  connectsPerIp: BucketRuleConfig | null;
  editsPerUser: BucketRuleConfig | null;
  reactionsPerUser: BucketRuleConfig | null;
  uploadsPerUser: BucketRuleConfig | null;
  reportsPerUser: BucketRuleConfig | null;
  searchesPerUser: BucketRuleConfig | null;
  conversationsPerUser: BucketRuleConfig | null;
  registrationsPerIp: BucketRuleConfig | null;
  registrations: BucketRuleConfig | null;
  loginsPerIp: BucketRuleConfig | null;
  /** Strict: refuses past it. */
  loginsPerHandleIp: BucketRuleConfig | null;
  /** Lenient: past it a login is slowed (up to `loginDelayMaxMs`), never refused, so nobody can lock an owner out. */
  loginsPerHandle: BucketRuleConfig | null;
  loginDelayMaxMs: number;
  callsPerUser: BucketRuleConfig | null;
  callSignalsPerUser: BucketRuleConfig | null;
  /** Page answers (events, history) one user may have in flight over HTTP on a node. */
  pageReadsPerUser: number;
}

export interface RealtimeConfig {
  /** How long a typing indicator lives without a renewal. */
  typingTtlMs: number;
  /** At most one typing frame per user and conversation is forwarded per interval. */
  typingThrottleMs: number;
  /** Groups up to this many members get live receipt frames and "read by" lists; larger ones counts only. */
  receiptsMaxGroup: number;
  /** A node's presence entries expire this long after its last heartbeat (a killed node's users go offline). */
  presenceTtlMs: number;
  /** Users one socket may subscribe to for presence. */
  presenceMaxSubscriptions: number;
  /** Direct-conversation peers told of one presence change (most recently active first). */
  presenceFanoutMax: number;
}

export function loadConfig(env: Env = process.env): Readonly<Config> {
  const reading = readEnv(env);
  const problems = [...reading.problems, ...crossFieldProblems(reading)];
  if (problems.length > 0) throw new ConfigError(problems.sort((a, b) => schemaOrder(a.variable) - schemaOrder(b.variable)));
  const v = reading.values;
  const config: Config = {
    port: v.PORT,
    host: v.HOST,
    dataDir: v.DATA_DIR,
    databaseUrl: v.DATABASE_URL ?? null,
    redisUrl: v.REDIS_URL ?? null,
    redisKeyPrefix: v.REDIS_KEY_PREFIX,
    redisCommandTimeoutMs: v.REDIS_COMMAND_TIMEOUT_MS,
    broker: brokerConfig(v),
    adminApiKey: v.ADMIN_API_KEY ?? null,
    nodeId: v.NODE_ID ?? `node-${process.pid}`,
    logLevel: v.LOG_LEVEL,
    role: v.ROLE,
    tracing: tracingConfig(v),
    allowRegistration: v.ALLOW_REGISTRATION,
    auth: {
      jwtSecret: v.JWT_SECRET ?? null,
      issuer: v.JWT_ISSUER,
      audience: v.JWT_AUDIENCE,
      accessTokenTtlSec: v.ACCESS_TOKEN_TTL_SEC,
      refreshTokenTtlSec: v.REFRESH_TOKEN_TTL_SEC,
      external: externalAuth(v),
    },
    limits: {
      maxMessageLength: v.MAX_MESSAGE_LENGTH,
      maxGroupMembers: v.MAX_GROUP_MEMBERS,
      maxChannelMembers: v.MAX_CHANNEL_MEMBERS,
      maxOwnedConversations: v.MAX_OWNED_CONVERSATIONS,
      maxConversationsPerUser: v.MAX_CONVERSATIONS_PER_USER,
      httpBodyBytes: v.HTTP_BODY_LIMIT_BYTES,
      httpIdleTimeoutMs: v.HTTP_IDLE_TIMEOUT_MS,
      httpMaxHeaderBytes: v.HTTP_MAX_HEADER_BYTES,
      maxFrameBytes: v.WS_MAX_FRAME_BYTES,
      hardMaxFrameBytes: Math.max(v.WS_MAX_FRAME_BYTES, 1024 * 1024),
      maxSocketBufferBytes: v.WS_MAX_BUFFERED_BYTES,
      maxInflightPerConnection: v.WS_MAX_INFLIGHT,
      syncResetThreshold: v.SYNC_RESET_THRESHOLD,
      pageMaxBytes: v.PAGE_MAX_BYTES,
    },
    ws: {
      heartbeatMs: v.WS_HEARTBEAT_MS,
      authTimeoutMs: v.WS_AUTH_TIMEOUT_MS,
      reauthGraceMs: v.WS_REAUTH_GRACE_MS,
      reorderHoldMs: v.HUB_REORDER_HOLD_MS,
      membersCoalesceAt: v.MEMBER_EVENTS_COALESCE_AT,
      membersNotices: { minMs: v.MEMBER_EVENTS_COALESCE_MS, perSecond: v.MEMBER_EVENTS_NOTICE_RATE, maxMs: v.MEMBER_EVENTS_COALESCE_MAX_MS },
    },
    policyHook: v.POLICY_HOOK_URL
      ? {
          url: v.POLICY_HOOK_URL,
          actions: v.POLICY_HOOK_ACTIONS,
          timeoutMs: v.POLICY_HOOK_TIMEOUT_MS,
          failMode: v.POLICY_HOOK_FAIL,
          secret: v.POLICY_HOOK_SECRET ?? null,
        }
      : null,
    realtime: {
      typingTtlMs: v.TYPING_TTL_MS,
      typingThrottleMs: v.TYPING_THROTTLE_MS,
      receiptsMaxGroup: v.RECEIPTS_MAX_GROUP,
      presenceTtlMs: v.PRESENCE_TTL_MS,
      presenceMaxSubscriptions: v.PRESENCE_MAX_SUBSCRIPTIONS,
      presenceFanoutMax: v.PRESENCE_FANOUT_MAX,
    },
    rateLimits: {
      sendsPerUser: v.RATE_LIMIT_SENDS_PER_USER,
      sendsPerIp: v.RATE_LIMIT_SENDS_PER_IP,
      connectsPerUser: v.RATE_LIMIT_CONNECTS_PER_USER,
      connectsPerIp: v.RATE_LIMIT_CONNECTS_PER_IP,
      editsPerUser: v.RATE_LIMIT_EDITS_PER_USER,
      reactionsPerUser: v.RATE_LIMIT_REACTIONS_PER_USER,
      uploadsPerUser: v.RATE_LIMIT_UPLOADS_PER_USER,
      reportsPerUser: v.RATE_LIMIT_REPORTS_PER_USER,
      searchesPerUser: v.RATE_LIMIT_SEARCHES_PER_USER,
      conversationsPerUser: v.RATE_LIMIT_CONVERSATIONS_PER_USER,
      registrationsPerIp: v.RATE_LIMIT_REGISTRATIONS_PER_IP,
      registrations: v.RATE_LIMIT_REGISTRATIONS,
      loginsPerIp: v.RATE_LIMIT_LOGINS_PER_IP,
      loginsPerHandleIp: v.RATE_LIMIT_LOGINS_PER_HANDLE_IP,
      loginsPerHandle: v.RATE_LIMIT_LOGINS_PER_HANDLE,
      loginDelayMaxMs: v.RATE_LIMIT_LOGIN_DELAY_MAX_MS,
      pageReadsPerUser: v.PAGE_READS_PER_USER,
      callsPerUser: v.RATE_LIMIT_CALLS_PER_USER,
      callSignalsPerUser: v.RATE_LIMIT_CALL_SIGNALS_PER_USER,
    },
    overload: {
      maxConnections: v.WS_MAX_CONNECTIONS,
      eventLoopLagMs: v.OVERLOAD_EVENT_LOOP_LAG_MS,
      maxPendingConnects: v.WS_MAX_PENDING_CONNECTS,
      connectQueue: v.WS_CONNECT_QUEUE,
      connectQueueMs: v.WS_CONNECT_QUEUE_MS,
    },
    shutdown: {
      delayMs: v.SHUTDOWN_DELAY_MS,
      drainWindowMs: v.DRAIN_WINDOW_MS,
      drainGraceMs: v.DRAIN_GRACE_MS,
    },
    trustProxy: v.TRUST_PROXY,
    metricsEnabled: v.METRICS_ENABLED,
    metricsToken: v.METRICS_TOKEN ?? null,
    db: {
      poolSize: v.DB_POOL_SIZE,
      preparedStatements: v.DB_PREPARED_STATEMENTS,
      sqliteSynchronous: v.SQLITE_SYNCHRONOUS,
      sqliteWriter: v.SQLITE_WRITER,
    },
    blobs: blobStore(v),
    media: {
      maxFileBytes: v.MEDIA_MAX_FILE_BYTES,
      userQuotaBytes: v.MEDIA_USER_QUOTA_BYTES,
      allowedTypes: v.MEDIA_ALLOWED_TYPES.split(','),
      imageMaxPixels: v.MEDIA_IMAGE_MAX_PIXELS,
      unusedTtlMs: v.MEDIA_UNUSED_TTL_SEC * 1000,
      deleteGraceMs: v.MEDIA_DELETE_GRACE_SEC * 1000,
      urlTtlSec: v.MEDIA_URL_TTL_SEC,
      resumableTtlMs: v.MEDIA_RESUMABLE_TTL_SEC * 1000,
      resumableMaxPerUser: v.MEDIA_RESUMABLE_MAX_PER_USER,
      sweepIntervalMs: v.MEDIA_SWEEP_INTERVAL_MS,
      ffmpeg: v.MEDIA_FFMPEG,
      ffmpegTimeoutMs: v.MEDIA_FFMPEG_TIMEOUT_MS,
      clamd: v.CLAMD_ADDRESS
        ? { host: v.CLAMD_ADDRESS.slice(0, v.CLAMD_ADDRESS.lastIndexOf(':')), port: Number(v.CLAMD_ADDRESS.slice(v.CLAMD_ADDRESS.lastIndexOf(':') + 1)), timeoutMs: v.CLAMD_TIMEOUT_MS }
        : null,
    },
    calls: callsConfig(v),
    push: {
      enabled: v.PUSH_ENABLED,
      worker: v.PUSH_WORKER,
      onlineGraceMs: v.PUSH_ONLINE_GRACE_MS,
      batchSize: v.PUSH_BATCH_SIZE,
      concurrency: v.PUSH_CONCURRENCY,
      maxAttempts: v.PUSH_MAX_ATTEMPTS,
      retryBaseMs: v.PUSH_RETRY_BASE_MS,
      retryMaxMs: v.PUSH_RETRY_MAX_MS,
      pollMs: v.PUSH_POLL_MS,
      timeoutMs: v.PUSH_TIMEOUT_MS,
      leaseMs: v.PUSH_LEASE_MS,
      fcm: v.FCM_SERVICE_ACCOUNT_FILE ? { serviceAccountFile: v.FCM_SERVICE_ACCOUNT_FILE, apiUrl: v.FCM_API_URL ?? 'https://fcm.googleapis.com' } : null,
      // The cross-field rules have made sure the four go together.
      apns: v.APNS_KEY_FILE && v.APNS_KEY_ID && v.APNS_TEAM_ID && v.APNS_TOPIC
        ? { keyFile: v.APNS_KEY_FILE, keyId: v.APNS_KEY_ID, teamId: v.APNS_TEAM_ID, topic: v.APNS_TOPIC, url: v.APNS_URL ?? 'https://api.push.apple.com', caFile: v.APNS_CA_FILE ?? null }
        : null,
      webPush: v.WEB_PUSH_ENABLED
        ? {
            vapid: v.VAPID_PUBLIC_KEY && v.VAPID_PRIVATE_KEY ? { publicKey: v.VAPID_PUBLIC_KEY, privateKey: v.VAPID_PRIVATE_KEY } : null,
            subject: v.VAPID_SUBJECT,
            hosts: v.WEB_PUSH_HOSTS.split(',').map((host) => host.trim().toLowerCase()).filter(Boolean),
            ttlSec: v.WEB_PUSH_TTL_SEC,
          }
        : null,
    },
    retention: { defaultDays: v.RETENTION_DEFAULT_DAYS, intervalMs: v.RETENTION_INTERVAL_MS, batch: v.RETENTION_BATCH },
    exports: {
      minIntervalMs: v.EXPORT_MIN_INTERVAL_SEC * 1000, keepMs: v.EXPORT_KEEP_SEC * 1000, urlTtlSec: v.EXPORT_URL_TTL_SEC,
      intervalMs: v.EXPORT_INTERVAL_MS, batch: v.EXPORT_BATCH, maxBytes: v.EXPORT_MAX_BYTES,
    },
    search: { language: v.SEARCH_LANGUAGE, timeoutMs: v.SEARCH_TIMEOUT_MS, candidates: v.SEARCH_CANDIDATES },
  };
  return deepFreeze(config);
}

/** Null unless an external issuer is configured; the cross-field rules have made it complete. */
function externalAuth(v: EnvValues): ExternalAuthConfig | null {
  if (!v.AUTH_JWT_ISSUER || !v.AUTH_JWT_AUDIENCE) return null;
  return {
    issuer: v.AUTH_JWT_ISSUER,
    audience: v.AUTH_JWT_AUDIENCE,
    secret: v.AUTH_JWT_SECRET ?? null,
    jwksUrl: v.AUTH_JWKS_URL ?? null,
    // A shared secret can only mean HS256.
    algorithms: v.AUTH_JWT_SECRET ? ['HS256'] : v.AUTH_JWT_ALGORITHMS,
    clockSkewSec: v.AUTH_JWT_CLOCK_SKEW_SEC,
    nameClaim: v.AUTH_JWT_NAME_CLAIM,
    handleClaim: v.AUTH_JWT_HANDLE_CLAIM ?? null,
  };
}

const urlList = (value: string | undefined): string[] => (value ? value.split(',').map((entry) => entry.trim()).filter(Boolean) : []);

/** The cross-field rules have made sure TURN has its secret, LiveKit its key and secret, Janus its admin key, and the chosen backend is configured. */
function callsConfig(v: EnvValues): CallsConfig {
  const livekitUrl = v.LIVEKIT_URL;
  const janusUrl = v.JANUS_URL;
  const choice = v.CALL_MEDIA_BACKEND;
  const mediaBackend = choice === 'none' ? null : choice === 'auto' ? (livekitUrl ? 'livekit' : janusUrl ? 'janus' : null) : choice;
  return {
    mediaBackend,
    janus: janusUrl && v.JANUS_ADMIN_KEY ? { url: janusUrl, apiUrl: v.JANUS_API_URL ?? janusUrl, adminKey: v.JANUS_ADMIN_KEY } : null,
    ringTimeoutMs: v.CALL_RING_TIMEOUT_MS,
    reconnectGraceMs: v.CALL_RECONNECT_GRACE_MS,
    sweepIntervalMs: v.CALL_SWEEP_INTERVAL_MS,
    maxRing: v.CALL_MAX_RING,
    meshMaxParticipants: v.CALL_MESH_MAX_PARTICIPANTS,
    stunUrls: urlList(v.STUN_URLS),
    turn: v.TURN_URLS && v.TURN_SECRET ? { urls: urlList(v.TURN_URLS), secret: v.TURN_SECRET, ttlSec: v.TURN_CREDENTIAL_TTL_SEC } : null,
    livekit: livekitUrl && v.LIVEKIT_API_KEY && v.LIVEKIT_API_SECRET
      ? {
          url: livekitUrl,
          // The SDK's Twirp client speaks HTTP; a ws(s) URL names the same host.
          apiUrl: v.LIVEKIT_API_URL ?? livekitUrl.replace(/^ws/, 'http'),
          apiKey: v.LIVEKIT_API_KEY,
          apiSecret: v.LIVEKIT_API_SECRET,
          tokenTtlSec: v.LIVEKIT_TOKEN_TTL_SEC,
        }
      : null,
  };
}

/** The cross-field rules have made sure an S3 store has its bucket and both halves of a key, or neither. */
/** `BROKER=auto`: NATS when configured, else Redis, else in-process (the rules have checked the URL an explicit choice needs). */
/**
 * Tracing follows OpenTelemetry's variables, but is off unless asked for: an exporter named,
 * or an OTLP endpoint set (the SDK's own default would be to export to localhost always).
 */
function tracingConfig(v: EnvValues): TracingConfig | null {
  const endpointSet = v.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined || v.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined;
  const exporter = v.OTEL_TRACES_EXPORTER ?? (endpointSet ? 'otlp' : 'none');
  if (v.OTEL_SDK_DISABLED || exporter === 'none') return null;
  const url = v.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
    ?? (v.OTEL_EXPORTER_OTLP_ENDPOINT ? `${v.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces` : 'http://localhost:4318/v1/traces');
  const ratio = v.OTEL_TRACES_SAMPLER_ARG === undefined ? 1 : Number(v.OTEL_TRACES_SAMPLER_ARG);
  const kind = v.OTEL_TRACES_SAMPLER;
  return {
    exporter: exporter === 'console' ? 'console' : 'otlp',
    url,
    headers: otlpHeaders(v.OTEL_EXPORTER_OTLP_HEADERS),
    serviceName: v.OTEL_SERVICE_NAME,
    sampler: kind === 'traceidratio' || kind === 'parentbased_traceidratio' ? { kind, ratio } : { kind },
  };
}

/** `key=value,key2=value2` (values URL-encoded, as OpenTelemetry specifies); pairs without `=` are skipped by the rules first. */
export function otlpHeaders(text: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of (text ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    headers[pair.slice(0, at).trim()] = decodeURIComponent(pair.slice(at + 1).trim());
  }
  return headers;
}

function brokerConfig(v: EnvValues): Config['broker'] {
  const kind = v.BROKER === 'auto' ? (v.NATS_URL ? 'nats' : v.REDIS_URL ? 'redis' : 'memory') : v.BROKER;
  if (kind === 'nats' && v.NATS_URL) {
    const jetstream = v.NATS_JETSTREAM
      ? { storage: v.NATS_JETSTREAM_STORAGE, maxAgeMs: v.NATS_JETSTREAM_MAX_AGE_MS, maxBytes: v.NATS_JETSTREAM_MAX_BYTES, maxMsgs: v.NATS_JETSTREAM_MAX_MSGS }
      : null;
    return { kind, url: v.NATS_URL, subjectPrefix: v.NATS_SUBJECT_PREFIX, jetstream };
  }
  if (kind === 'redis' && v.REDIS_URL) return { kind, url: v.REDIS_URL };
  return { kind: 'memory' };
}

function blobStore(v: EnvValues): BlobStoreConfig {
  if (v.BLOB_STORE === 'local' || !v.S3_BUCKET) return { kind: 'local', dir: v.BLOB_DIR ?? join(v.DATA_DIR, 'blobs') };
  return {
    kind: 's3',
    bucket: v.S3_BUCKET,
    region: v.S3_REGION,
    endpoint: v.S3_ENDPOINT ?? null,
    forcePathStyle: v.S3_FORCE_PATH_STYLE,
    credentials: v.S3_ACCESS_KEY_ID && v.S3_SECRET_ACCESS_KEY ? { accessKeyId: v.S3_ACCESS_KEY_ID, secretAccessKey: v.S3_SECRET_ACCESS_KEY } : null,
  };
}

const schemaOrder = (variable: string): number => envVariables.findIndex(([name]) => name === variable);

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const child of Object.values(value)) {
    if (child && typeof child === 'object') deepFreeze(child);
  }
  return Object.freeze(value);
}
