import type { ConfigProblem } from './config-error.ts';
import type { EnvReading } from './env-reader.ts';
import { ASYMMETRIC_ALGORITHMS, type EnvName } from './env.schema.ts';

/**
 * Rules between variables, which one variable's schema cannot state. They look at which
 * variables were *set* rather than at their values where they can, so a variable whose own
 * value is already reported as bad is not reported a second time as missing.
 */
export function crossFieldProblems({ values, set, problems }: EnvReading): ConfigProblem[] {
  const found: ConfigProblem[] = [];
  const bad = new Set(problems.map((problem) => problem.variable));
  const external = set.has('AUTH_JWT_ISSUER') || set.has('AUTH_JWT_SECRET') || set.has('AUTH_JWKS_URL');
  if (external) {
    if (!set.has('AUTH_JWT_ISSUER')) {
      found.push({ variable: 'AUTH_JWT_ISSUER', problem: 'is required when external tokens are configured' });
    } else if (values.AUTH_JWT_ISSUER === values.JWT_ISSUER) {
      // Tokens are routed to a verifier by issuer: with Parley's own, external tokens would never be accepted.
      found.push({ variable: 'AUTH_JWT_ISSUER', problem: 'must differ from JWT_ISSUER (Parley\'s own token issuer)' });
    }
    if (!set.has('AUTH_JWT_AUDIENCE')) found.push({ variable: 'AUTH_JWT_AUDIENCE', problem: 'is required when external tokens are configured' });
    const withSecret = set.has('AUTH_JWT_SECRET');
    if (withSecret === set.has('AUTH_JWKS_URL')) {
      found.push({ variable: 'AUTH_JWT_SECRET', problem: 'or AUTH_JWKS_URL (exactly one) is required for external tokens' });
    } else if (set.has('AUTH_JWT_ALGORITHMS') && !bad.has('AUTH_JWT_ALGORITHMS')) {
      // A JWKS key accepted for HS256 would let anyone holding the public key sign tokens.
      const allowed: readonly string[] = withSecret ? ['HS256'] : ASYMMETRIC_ALGORITHMS;
      if (values.AUTH_JWT_ALGORITHMS.some((algorithm) => !allowed.includes(algorithm))) {
        found.push({ variable: 'AUTH_JWT_ALGORITHMS', problem: `may only contain ${allowed.join(', ')} with ${withSecret ? 'AUTH_JWT_SECRET' : 'AUTH_JWKS_URL'}` });
      }
    }
  }
  if (!bad.has('BLOB_STORE')) found.push(...fileStoreProblems({ values, set }));
  // TURN without its secret would hand out credentials coturn refuses; LiveKit needs all three to mint tokens.
  if (set.has('TURN_URLS') !== set.has('TURN_SECRET')) found.push({ variable: set.has('TURN_URLS') ? 'TURN_SECRET' : 'TURN_URLS', problem: 'is required with the other (TURN_URLS and TURN_SECRET go together)' });
  const livekit = ['LIVEKIT_URL', 'LIVEKIT_API_KEY', 'LIVEKIT_API_SECRET'] as const;
  if (livekit.some((name) => set.has(name)) || set.has('LIVEKIT_API_URL')) {
    for (const name of livekit) if (!set.has(name)) found.push({ variable: name, problem: 'is required when LiveKit is configured (LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET)' });
  }
  const janus = ['JANUS_URL', 'JANUS_ADMIN_KEY'] as const;
  if (janus.some((name) => set.has(name)) || set.has('JANUS_API_URL')) {
    for (const name of janus) if (!set.has(name)) found.push({ variable: name, problem: 'is required when Janus is configured (JANUS_URL and JANUS_ADMIN_KEY)' });
  }
  if (!bad.has('CALL_MEDIA_BACKEND')) {
    const chosen = values.CALL_MEDIA_BACKEND;
    if (chosen === 'auto' && set.has('LIVEKIT_URL') && set.has('JANUS_URL')) found.push({ variable: 'CALL_MEDIA_BACKEND', problem: 'must be livekit or janus when both LIVEKIT_URL and JANUS_URL are set' });
    if (chosen === 'livekit' && !set.has('LIVEKIT_URL')) found.push({ variable: 'LIVEKIT_URL', problem: 'is required when CALL_MEDIA_BACKEND is livekit' });
    if (chosen === 'janus' && !set.has('JANUS_URL')) found.push({ variable: 'JANUS_URL', problem: 'is required when CALL_MEDIA_BACKEND is janus' });
  }
  // APNs needs all four or none: a half-configured provider would fail every send.
  const apns = ['APNS_KEY_FILE', 'APNS_KEY_ID', 'APNS_TEAM_ID', 'APNS_TOPIC'] as const;
  if ([...apns, 'APNS_URL', 'APNS_CA_FILE'].some((name) => set.has(name as EnvName))) {
    for (const name of apns) if (!set.has(name)) found.push({ variable: name, problem: 'is required when APNs is configured (APNS_KEY_FILE, APNS_KEY_ID, APNS_TEAM_ID, APNS_TOPIC)' });
  }
  if (set.has('FCM_API_URL') && !set.has('FCM_SERVICE_ACCOUNT_FILE')) found.push({ variable: 'FCM_SERVICE_ACCOUNT_FILE', problem: 'is required when FCM_API_URL is set' });
  if (set.has('VAPID_PUBLIC_KEY') !== set.has('VAPID_PRIVATE_KEY')) {
    found.push({ variable: set.has('VAPID_PUBLIC_KEY') ? 'VAPID_PRIVATE_KEY' : 'VAPID_PUBLIC_KEY', problem: 'is required with the other half of the VAPID key pair' });
  }
  if (!bad.has('BROKER')) {
    if (values.BROKER === 'redis' && !set.has('REDIS_URL')) found.push({ variable: 'REDIS_URL', problem: 'is required when BROKER is redis' });
    if (values.BROKER === 'nats' && !set.has('NATS_URL')) found.push({ variable: 'NATS_URL', problem: 'is required when BROKER is nats' });
    // JetStream settings with another broker would be ignored without a word: say so instead.
    const natsChosen = values.BROKER === 'nats' || (values.BROKER === 'auto' && set.has('NATS_URL'));
    if (values.NATS_JETSTREAM && !natsChosen) found.push({ variable: 'NATS_JETSTREAM', problem: 'needs the NATS broker (NATS_URL set, BROKER auto or nats)' });
  }
  // Split processes meet only through the shared stores: an embedded SQLite file (one process)
  // or an in-process broker would leave a gateway that never hears what the api process commits.
  if (!bad.has('ROLE') && values.ROLE !== 'all') {
    if (!set.has('DATABASE_URL')) found.push({ variable: 'ROLE', problem: `is ${values.ROLE}, which needs PostgreSQL (DATABASE_URL): the embedded SQLite store serves one process, which must run ROLE=all` });
    if (!set.has('REDIS_URL')) found.push({ variable: 'ROLE', problem: `is ${values.ROLE}, which needs Redis (REDIS_URL) shared by every process (broker, presence, rate limits); without it run ROLE=all` });
  }
  if (set.has('OTEL_EXPORTER_OTLP_HEADERS') && !bad.has('OTEL_EXPORTER_OTLP_HEADERS')
    && !(values.OTEL_EXPORTER_OTLP_HEADERS ?? '').split(',').every((pair) => /^[^=,\s]+=[^,]*$/.test(pair.trim()))) {
    found.push({ variable: 'OTEL_EXPORTER_OTLP_HEADERS', problem: 'must be key=value pairs separated by commas' });
  }
  return found;
}

const S3_VARIABLES = ['S3_BUCKET', 'S3_REGION', 'S3_ENDPOINT', 'S3_FORCE_PATH_STYLE', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const;

/**
 * The file store's variables must agree with `BLOB_STORE`: S3 settings beside a local
 * store (or the reverse) mean the operator expects files somewhere they will not be.
 */
function fileStoreProblems({ values, set }: Pick<EnvReading, 'values' | 'set'>): ConfigProblem[] {
  const found: ConfigProblem[] = [];
  if (values.BLOB_STORE === 's3') {
    if (!set.has('S3_BUCKET')) found.push({ variable: 'S3_BUCKET', problem: 'is required when BLOB_STORE is s3' });
    if (set.has('BLOB_DIR')) found.push({ variable: 'BLOB_DIR', problem: 'is set but BLOB_STORE is s3 (it is the local store\'s folder)' });
    if (set.has('S3_ACCESS_KEY_ID') !== set.has('S3_SECRET_ACCESS_KEY')) {
      const missing = set.has('S3_ACCESS_KEY_ID') ? 'S3_SECRET_ACCESS_KEY' : 'S3_ACCESS_KEY_ID';
      found.push({ variable: missing, problem: 'is required with the other half of the S3 key (or leave both unset for the AWS SDK\'s own chain)' });
    }
  } else {
    for (const variable of S3_VARIABLES) if (set.has(variable)) found.push({ variable, problem: 'is set but BLOB_STORE is not s3' });
  }
  return found;
}
