import { Limits } from '@parley/protocol';


/**
 * Configuration is read from the environment once, at start-up, validated, frozen and
 * passed down. Nothing else reads `process.env`. An invalid value fails the start with
 * a message that names the variable.
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

/** Actions an operator can route through their own compliance endpoint (POLICY_HOOK_ACTIONS). */
export const HOOK_ACTIONS = ['conversation.create', 'members.add', 'conversation.join', 'message.send', 'channel.post'] as const;
export type HookAction = (typeof HOOK_ACTIONS)[number];

export interface PolicyHookConfig {
  url: string;
  actions: readonly HookAction[];
  timeoutMs: number;
  /** closed: refuse when the endpoint fails or is slow; open: allow. */
  failMode: 'closed' | 'open';
  /** Signs each body: `x-parley-signature: sha256=<hex hmac>`. */
  secret: string | null;
}

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
  /** Unset: the admin API answers 401 to everything. */
  adminApiKey: string | null;
  nodeId: string;
  logLevel: string;
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
    httpBodyBytes: number;
    /**
     * An HTTP socket with no bytes either way for this long is closed. Node's own header
     * timeout never starts for a socket that has sent nothing, so without this a peer that
     * connects and goes silent holds a file (and a graceful shutdown) forever. WebSockets
     * are not affected: they have their own heartbeat.
     */
    httpIdleTimeoutMs: number;
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
  };
  ws: {
    heartbeatMs: number;
    authTimeoutMs: number;
    /** How long the hub holds an out-of-order event waiting for the one before it. */
    reorderHoldMs: number;
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
  db: {
    poolSize: number;
    sqliteSynchronous: 'FULL' | 'NORMAL';
  };
}

export class ConfigError extends Error {
  readonly variable: string;

  constructor(variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.variable = variable;
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function redisKeyPrefix(env: Env): string {
  const prefix = read(env, 'REDIS_KEY_PREFIX') ?? 'parley:';
  // Keys are built by concatenation inside Lua scripts and channel names: keep them plain.
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(prefix)) throw new ConfigError('REDIS_KEY_PREFIX', 'must be 1-64 characters of letters, digits and _ . : -');
  return prefix;
}

function read(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = read(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function url(env: Env, name: string, protocols: string[]): string | null {
  const raw = read(env, name);
  if (raw === undefined) return null;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, 'must be a URL');
  }
  if (!protocols.includes(parsed.protocol)) throw new ConfigError(name, `must use one of ${protocols.join(', ')}`);
  return raw;
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const match = allowed.find((value) => value.toLowerCase() === raw.toLowerCase());
  if (!match) throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  return match;
}

function secret(env: Env, name: string, minLength: number): string | null {
  const raw = read(env, name);
  if (raw === undefined) return null;
  if (raw.length < minLength) throw new ConfigError(name, `must be at least ${minLength} characters`);
  return raw;
}

function ownIssuer(env: Env): string {
  return read(env, 'JWT_ISSUER') ?? 'parley';
}

function externalAuth(env: Env): ExternalAuthConfig | null {
  const issuer = read(env, 'AUTH_JWT_ISSUER');
  const hsSecret = secret(env, 'AUTH_JWT_SECRET', 32);
  const jwksUrl = url(env, 'AUTH_JWKS_URL', ['https:', 'http:']);
  if (!issuer && !hsSecret && !jwksUrl) return null;
  if (!issuer) throw new ConfigError('AUTH_JWT_ISSUER', 'is required when external tokens are configured');
  // Tokens are routed to a verifier by issuer: with Parley's own, external tokens would never be accepted.
  if (issuer === ownIssuer(env)) throw new ConfigError('AUTH_JWT_ISSUER', 'must differ from JWT_ISSUER (Parley\'s own token issuer)');
  const audience = read(env, 'AUTH_JWT_AUDIENCE');
  if (!audience) throw new ConfigError('AUTH_JWT_AUDIENCE', 'is required when external tokens are configured');
  if (!hsSecret === !jwksUrl) throw new ConfigError('AUTH_JWT_SECRET', 'or AUTH_JWKS_URL (exactly one) is required for external tokens');
  const allowedAsymmetric = ['RS256', 'ES256', 'EdDSA'];
  const algorithms = hsSecret
    ? ['HS256']
    : (read(env, 'AUTH_JWT_ALGORITHMS')?.split(',').map((a) => a.trim()) ?? allowedAsymmetric);
  for (const algorithm of algorithms) {
    if (!hsSecret && !allowedAsymmetric.includes(algorithm)) {
      throw new ConfigError('AUTH_JWT_ALGORITHMS', `may only contain ${allowedAsymmetric.join(', ')}`);
    }
  }
  return {
    issuer,
    audience,
    secret: hsSecret,
    jwksUrl,
    algorithms,
    clockSkewSec: int(env, 'AUTH_JWT_CLOCK_SKEW_SEC', 30, 0, 300),
    nameClaim: read(env, 'AUTH_JWT_NAME_CLAIM') ?? 'name',
    handleClaim: read(env, 'AUTH_JWT_HANDLE_CLAIM') ?? null,
  };
}

function policyHook(env: Env): PolicyHookConfig | null {
  const hookUrl = url(env, 'POLICY_HOOK_URL', ['https:', 'http:']);
  if (!hookUrl) return null;
  const actions = (read(env, 'POLICY_HOOK_ACTIONS') ?? HOOK_ACTIONS.join(',')).split(',').map((action) => action.trim()).filter(Boolean);
  for (const action of actions) {
    if (!(HOOK_ACTIONS as readonly string[]).includes(action)) throw new ConfigError('POLICY_HOOK_ACTIONS', `may only contain ${HOOK_ACTIONS.join(', ')}, got "${action}"`);
  }
  return {
    url: hookUrl,
    actions: actions as HookAction[],
    timeoutMs: int(env, 'POLICY_HOOK_TIMEOUT_MS', 1000, 10, 30_000),
    failMode: oneOf(env, 'POLICY_HOOK_FAIL', 'closed', ['closed', 'open'] as const),
    secret: secret(env, 'POLICY_HOOK_SECRET', 16),
  };
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
  loginsPerIp: BucketRuleConfig | null;
  loginsPerHandle: BucketRuleConfig | null;
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

/** A token bucket as `capacity:refillPerSecond` (e.g. `20:0.5`), or `off`. */
function bucket(env: Env, name: string, fallback: string): BucketRuleConfig | null {
  const raw = read(env, name) ?? fallback;
  if (raw.toLowerCase() === 'off' || raw === '0') return null;
  const match = /^(\d+):(\d+(?:\.\d+)?)$/.exec(raw);
  if (!match) throw new ConfigError(name, `must be "capacity:refillPerSecond" (e.g. 20:0.5) or off, got "${raw}"`);
  const capacity = Number(match[1]);
  const refillPerSec = Number(match[2]);
  if (capacity < 1 || capacity > 1_000_000) throw new ConfigError(name, `capacity must be between 1 and 1000000, got ${capacity}`);
  if (refillPerSec <= 0 || refillPerSec > 1_000_000) throw new ConfigError(name, `refill must be above 0 and at most 1000000 per second, got ${refillPerSec}`);
  return { capacity, refillPerSec };
}

function rateLimits(env: Env): RateLimitsConfig {
  return {
    sendsPerUser: bucket(env, 'RATE_LIMIT_SENDS_PER_USER', '600:60'),
    sendsPerIp: bucket(env, 'RATE_LIMIT_SENDS_PER_IP', '6000:600'),
    connectsPerUser: bucket(env, 'RATE_LIMIT_CONNECTS_PER_USER', '100:5'),
    connectsPerIp: bucket(env, 'RATE_LIMIT_CONNECTS_PER_IP', '300:30'),
    loginsPerIp: bucket(env, 'RATE_LIMIT_LOGINS_PER_IP', '30:0.5'),
    loginsPerHandle: bucket(env, 'RATE_LIMIT_LOGINS_PER_HANDLE', '10:0.1'),
  };
}

export function loadConfig(env: Env = process.env): Readonly<Config> {
  const maxFrameBytes = int(env, 'WS_MAX_FRAME_BYTES', 64 * 1024, 1024, 1024 * 1024);
  const config: Config = {
    port: int(env, 'PORT', 8080, 0, 65535),
    host: read(env, 'HOST') ?? '0.0.0.0',
    dataDir: read(env, 'DATA_DIR') ?? './data',
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    redisKeyPrefix: redisKeyPrefix(env),
    adminApiKey: secret(env, 'ADMIN_API_KEY', 16),
    nodeId: read(env, 'NODE_ID') ?? `node-${process.pid}`,
    logLevel: oneOf(env, 'LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    allowRegistration: bool(env, 'ALLOW_REGISTRATION', true),
    auth: {
      jwtSecret: secret(env, 'JWT_SECRET', 32),
      issuer: ownIssuer(env),
      audience: read(env, 'JWT_AUDIENCE') ?? 'parley',
      accessTokenTtlSec: int(env, 'ACCESS_TOKEN_TTL_SEC', 15 * 60, 30, 24 * 3600),
      refreshTokenTtlSec: int(env, 'REFRESH_TOKEN_TTL_SEC', 30 * 24 * 3600, 300, 365 * 24 * 3600),
      external: externalAuth(env),
    },
    limits: {
      maxMessageLength: int(env, 'MAX_MESSAGE_LENGTH', 4000, 1, Limits.messageTextMaxLength),
      maxGroupMembers: int(env, 'MAX_GROUP_MEMBERS', 10_000, 2, 1_000_000),
      maxChannelMembers: int(env, 'MAX_CHANNEL_MEMBERS', 1_000_000, 2, 100_000_000),
      httpBodyBytes: int(env, 'HTTP_BODY_LIMIT_BYTES', 256 * 1024, 1024, 16 * 1024 * 1024),
      httpIdleTimeoutMs: int(env, 'HTTP_IDLE_TIMEOUT_MS', 60_000, 1_000, 3_600_000),
      maxFrameBytes,
      hardMaxFrameBytes: Math.max(maxFrameBytes, 1024 * 1024),
      maxSocketBufferBytes: int(env, 'WS_MAX_BUFFERED_BYTES', 1024 * 1024, 16 * 1024, 64 * 1024 * 1024),
      maxInflightPerConnection: int(env, 'WS_MAX_INFLIGHT', 64, 1, 10_000),
      syncResetThreshold: int(env, 'SYNC_RESET_THRESHOLD', 1000, 10, 1_000_000),
    },
    ws: {
      heartbeatMs: int(env, 'WS_HEARTBEAT_MS', 25_000, 1000, 300_000),
      authTimeoutMs: int(env, 'WS_AUTH_TIMEOUT_MS', 10_000, 100, 120_000),
      reorderHoldMs: int(env, 'HUB_REORDER_HOLD_MS', 100, 0, 5000),
    },
    policyHook: policyHook(env),
    realtime: {
      typingTtlMs: int(env, 'TYPING_TTL_MS', 6_000, 1_000, 60_000),
      typingThrottleMs: int(env, 'TYPING_THROTTLE_MS', 2_000, 0, 60_000),
      receiptsMaxGroup: int(env, 'RECEIPTS_MAX_GROUP', 1_000, 2, 100_000),
      presenceTtlMs: int(env, 'PRESENCE_TTL_MS', 30_000, 1_000, 600_000),
      presenceMaxSubscriptions: int(env, 'PRESENCE_MAX_SUBSCRIPTIONS', 500, 1, 100_000),
      presenceFanoutMax: int(env, 'PRESENCE_FANOUT_MAX', 1_000, 0, 100_000),
    },
    rateLimits: rateLimits(env),
    overload: {
      maxConnections: int(env, 'WS_MAX_CONNECTIONS', 20_000, 1, 10_000_000),
      eventLoopLagMs: int(env, 'OVERLOAD_EVENT_LOOP_LAG_MS', 1_000, 0, 60_000),
    },
    shutdown: {
      delayMs: int(env, 'SHUTDOWN_DELAY_MS', 0, 0, 120_000),
      drainWindowMs: int(env, 'DRAIN_WINDOW_MS', 5_000, 0, 600_000),
      drainGraceMs: int(env, 'DRAIN_GRACE_MS', 10_000, 0, 600_000),
    },
    trustProxy: bool(env, 'TRUST_PROXY', false),
    metricsEnabled: bool(env, 'METRICS_ENABLED', true),
    db: {
      poolSize: int(env, 'DB_POOL_SIZE', 10, 1, 200),
      sqliteSynchronous: oneOf(env, 'SQLITE_SYNCHRONOUS', 'FULL', ['FULL', 'NORMAL'] as const),
    },
  };
  return deepFreeze(config);
}

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const child of Object.values(value)) {
    if (child && typeof child === 'object') deepFreeze(child);
  }
  return Object.freeze(value);
}
