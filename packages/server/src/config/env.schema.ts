import { Limits } from '@parley/protocol';
import Type, { type Static } from 'typebox';
import { choice, flag, integer, list, optionalText, secret, text, tokenBucket, url } from './env-formats.ts';

/**
 * Every environment variable Parley reads, once: its type and range, default, one-line
 * meaning and docs section. `loadConfig` reads the environment only through this object,
 * and the tables in README.md and docs/operations.md are generated from it
 * (`npm run docs:config`; `config.test.ts` fails when they differ). Order matters: it is
 * the order of the docs and of the problems reported at start-up.
 */

/** Actions an operator can route through their own compliance endpoint (POLICY_HOOK_ACTIONS). */
export const HOOK_ACTIONS = ['conversation.create', 'members.add', 'conversation.join', 'message.send', 'channel.post'] as const;
export type HookAction = (typeof HOOK_ACTIONS)[number];

/** Accepted from a JWKS: asymmetric only, so a public key can never be used as an HMAC secret. */
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;

const SERVER = 'Server';
const STORAGE = 'Storage';
const NODES = 'Redis';
const ACCOUNTS = 'Accounts and tokens';
const EXTERNAL = 'External identity provider';
const POLICY = 'Policy hook';
const LIMITS = 'Limits';
const SOCKETS = 'WebSocket';
const REALTIME = 'Receipts, typing and presence';
const RATE = 'Rate limits';
const OVERLOAD = 'Overload and shutdown';
const FILES = 'File storage';
const CALLS = 'Calls';
const PUSH = 'Push notifications';
const SEARCH = 'Search and retention';
const TRACING = 'Tracing (OpenTelemetry)';

/** PostgreSQL's built-in text search configurations (`SEARCH_LANGUAGE`). */
export const SEARCH_LANGUAGES = ['simple', 'arabic', 'armenian', 'basque', 'catalan', 'danish', 'dutch', 'english', 'finnish', 'french', 'german', 'greek', 'hindi', 'hungarian', 'indonesian', 'irish', 'italian', 'lithuanian', 'nepali', 'norwegian', 'portuguese', 'romanian', 'russian', 'serbian', 'spanish', 'swedish', 'tamil', 'turkish', 'yiddish'] as const;

const KIB = 1024;
const MIB = 1024 * 1024;

/** What chats send: pictures, video, audio and voice notes, documents, archives and plain text. */
const DEFAULT_ALLOWED_TYPES = [
  'image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/avif', 'image/heic', 'image/heif', 'image/bmp', 'image/tiff',
  'video/*', 'audio/*',
  'application/pdf', 'application/zip', 'application/gzip', 'application/x-7z-compressed', 'application/x-tar', 'application/epub+zip', 'application/rtf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation', 'application/vnd.oasis.opendocument.text', 'application/vnd.oasis.opendocument.spreadsheet',
  'application/msword', 'application/vnd.ms-excel', 'application/vnd.ms-powerpoint', 'application/x-cfb', 'text/plain',
].join(',');

export const EnvSchema = Type.Object({
  PORT: integer({ group: SERVER, meaning: 'TCP port to listen on (0: any free port)', default: 8080, minimum: 0, maximum: 65535, essential: true }),
  HOST: text({ group: SERVER, meaning: 'Address to listen on', default: '0.0.0.0', essential: true }),
  NODE_ID: optionalText({ group: SERVER, meaning: 'Name of this node in every log line', unset: '`node-<pid>`' }),
  LOG_LEVEL: choice(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { group: SERVER, meaning: 'pino log level; `debug` adds one access line per request', default: 'info', essential: true }),
  METRICS_ENABLED: flag({ group: SERVER, meaning: 'Prometheus metrics at `GET /metrics`, for callers with `METRICS_TOKEN`', default: true }),
  METRICS_TOKEN: secret({ group: SERVER, meaning: 'Bearer token a scraper sends to `GET /metrics` (`Authorization: Bearer <token>`); others get 401', unset: '`/metrics` answers 404', minLength: 16 }),
  TRUST_PROXY: flag({ group: SERVER, meaning: 'Take the client address from `X-Forwarded-For` (only behind your own proxy)', default: false, essential: true }),
  HTTP_BODY_LIMIT_BYTES: integer({ group: SERVER, meaning: 'Largest HTTP request body; larger ones get 413', default: 256 * KIB, minimum: KIB, maximum: 16 * MIB }),
  HTTP_MAX_HEADER_BYTES: integer({ group: SERVER, meaning: 'Largest request line (the URL) plus headers; larger ones get 431 `headers_too_large`', default: 16 * KIB, minimum: 4 * KIB, maximum: 256 * KIB }),
  HTTP_IDLE_TIMEOUT_MS: integer({ group: SERVER, meaning: 'An HTTP socket with no bytes either way for this long is closed (WebSockets have their heartbeat instead)', default: 60_000, minimum: 1_000, maximum: 3_600_000 }),
  ROLE: choice(['all', 'gateway', 'api', 'worker'], { group: SERVER, meaning: 'What this process does: `all`; `gateway` (WebSockets only), `api` (HTTP only) or `worker` (background jobs only), processes that share PostgreSQL and Redis; see `docs/operations.md`', default: 'all', essential: true }),

  OTEL_SDK_DISABLED: flag({ group: TRACING, meaning: 'Turns tracing off whatever else is set', default: false }),
  OTEL_TRACES_EXPORTER: optionalText({ group: TRACING, meaning: 'Where spans go: `otlp` (OTLP/HTTP protobuf), `console` (stdout, for trying it) or `none`', unset: '`otlp` when an OTLP endpoint is set, else tracing is off', pattern: '^(otlp|console|none)$', expected: 'otlp, console or none' }),
  OTEL_EXPORTER_OTLP_ENDPOINT: url(['http:', 'https:'], { group: TRACING, meaning: 'OTLP/HTTP collector base URL (spans go to `<it>/v1/traces`); setting it turns tracing on', unset: 'tracing off (unless `OTEL_TRACES_EXPORTER` or the traces endpoint is set)' }),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url(['http:', 'https:'], { group: TRACING, meaning: 'Full URL spans are posted to (wins over `OTEL_EXPORTER_OTLP_ENDPOINT`); setting it turns tracing on', unset: '`OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`, or `http://localhost:4318/v1/traces`' }),
  OTEL_EXPORTER_OTLP_HEADERS: secret({ group: TRACING, meaning: 'Headers sent with every export, `key=value` pairs separated by commas (a hosted collector\'s API key)', minLength: 3 }),
  OTEL_SERVICE_NAME: text({ group: TRACING, meaning: '`service.name` of the spans (each node is also told apart by `service.instance.id` = `NODE_ID`)', default: 'parley', pattern: '^[A-Za-z0-9_.-]{1,64}$', expected: '1 to 64 letters, digits and _ . -' }),
  OTEL_TRACES_SAMPLER: choice(['parentbased_always_on', 'always_on', 'always_off', 'parentbased_always_off', 'traceidratio', 'parentbased_traceidratio'], { group: TRACING, meaning: 'Which traces are kept; `parentbased_*` follows a caller\'s `traceparent` decision', default: 'parentbased_always_on' }),
  OTEL_TRACES_SAMPLER_ARG: optionalText({ group: TRACING, meaning: 'Share of traces the `*traceidratio` samplers keep (0 to 1)', unset: '1', pattern: '^(0(\\.[0-9]+)?|1(\\.0+)?)$', expected: 'a number from 0 to 1 such as 0.1' }),

  DATA_DIR: text({ group: STORAGE, meaning: 'Embedded SQLite database, the generated token key and (by default) uploaded files', default: './data', essential: true }),
  DATABASE_URL: url(['postgres:', 'postgresql:'], { group: STORAGE, meaning: 'PostgreSQL instead of the embedded SQLite', unset: 'SQLite in `DATA_DIR`', essential: true }),
  DB_POOL_SIZE: integer({ group: STORAGE, meaning: 'PostgreSQL connections per node: each write transaction holds one from BEGIN to COMMIT, reads outside a transaction share them (see `docs/operations.md`, Sizing)', default: 10, minimum: 1, maximum: 200 }),
  DB_PREPARED_STATEMENTS: flag({ group: STORAGE, meaning: 'PostgreSQL runs the send path\'s statements as prepared statements, planned once per connection; set false behind a pooler in transaction mode (PgBouncer `pool_mode=transaction`), where a transaction may land on another server connection', default: true }),
  SQLITE_SYNCHRONOUS: choice(['FULL', 'NORMAL'], { group: STORAGE, meaning: '`NORMAL` trades power-loss durability of the last writes for speed', default: 'FULL' }),
  SQLITE_WRITER: choice(['thread', 'inline'], { group: STORAGE, meaning: 'Where the embedded store writes: `thread` (a worker thread; commits and their fsync never stop the event loop; see `docs/architecture.md`) or `inline` (on the event loop, one connection)', default: 'thread' }),

  BLOB_STORE: choice(['local', 's3'], { group: FILES, meaning: 'Where uploaded files are kept: `local` (a folder, `BLOB_DIR`) or `s3` (AWS S3, MinIO, Cloudflare R2 or any S3-speaking service); see `docs/media.md`', default: 'local', essential: true }),
  BLOB_DIR: optionalText({ group: FILES, meaning: 'Folder of the local file store (`BLOB_STORE=local`)', unset: '`blobs` in `DATA_DIR`' }),
  S3_BUCKET: optionalText({ group: FILES, meaning: 'Bucket of the S3 file store; required with `BLOB_STORE=s3`', pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$', expected: '3 to 63 lowercase letters, digits, . and -, starting and ending with a letter or digit' }),
  S3_REGION: text({ group: FILES, meaning: 'Region of the bucket (`auto` for Cloudflare R2; MinIO takes any)', default: 'us-east-1', pattern: '^[a-z0-9-]{1,32}$', expected: 'a region name such as us-east-1 or auto' }),
  S3_ENDPOINT: url(['https:', 'http:'], { group: FILES, meaning: 'S3 API address of a service other than AWS (MinIO, R2, …)', unset: 'AWS, for `S3_REGION`' }),
  S3_FORCE_PATH_STYLE: flag({ group: FILES, meaning: 'Bucket in the URL path instead of the host name (MinIO and most self-hosted services need it)', default: false }),
  S3_ACCESS_KEY_ID: optionalText({ group: FILES, meaning: 'Access key of the S3 file store; with `S3_SECRET_ACCESS_KEY`', unset: 'the AWS SDK\'s own chain (`AWS_*` variables, pod or instance role)' }),
  S3_SECRET_ACCESS_KEY: secret({ group: FILES, meaning: 'Secret of that access key; with `S3_ACCESS_KEY_ID`', minLength: 8 }),
  MEDIA_MAX_FILE_BYTES: integer({ group: FILES, meaning: 'Largest file one upload may carry; larger ones get 413 `payload_too_large`', default: 100 * MIB, minimum: KIB, maximum: 5 * 1024 * MIB }),
  MEDIA_USER_QUOTA_BYTES: integer({ group: FILES, meaning: 'Bytes of files one user may keep (uploads not yet deleted, used or not); past it uploads get 422 `limit_exceeded`', default: 5 * 1024 * MIB, minimum: KIB, maximum: Number.MAX_SAFE_INTEGER }),
  MEDIA_ALLOWED_TYPES: text({ group: FILES, meaning: 'Content types (detected from the bytes) an upload may have, comma-separated; `type/*` allows a family; anything else gets 415 `unsupported_media_type`', default: DEFAULT_ALLOWED_TYPES, pattern: '^[a-z0-9.+*/-]+(,[a-z0-9.+*/-]+)*$', expected: 'comma-separated content types such as image/*,application/pdf' }),
  MEDIA_IMAGE_MAX_PIXELS: integer({ group: FILES, meaning: 'Images with more pixels (width × height, read from the header before decoding) are refused with 422 `limit_exceeded`: decompression bombs', default: 40_000_000, minimum: 10_000, maximum: 500_000_000 }),
  MEDIA_UNUSED_TTL_SEC: integer({ group: FILES, meaning: 'An upload no message, avatar or photo uses is deleted (record and bytes) this long after it was made', default: 24 * 3600, minimum: 60, maximum: 30 * 24 * 3600 }),
  MEDIA_DELETE_GRACE_SEC: integer({ group: FILES, meaning: 'Bytes of a file whose last message was deleted for everyone (or an avatar or photo replaced) are removed this long after', default: 3600, minimum: 0, maximum: 30 * 24 * 3600 }),
  MEDIA_RESUMABLE_TTL_SEC: integer({ group: FILES, meaning: 'A resumable (tus) upload not finished this long after it began is deleted with its parts', default: 24 * 3600, minimum: 60, maximum: 30 * 24 * 3600 }),
  MEDIA_RESUMABLE_MAX_PER_USER: integer({ group: FILES, meaning: 'Resumable uploads one user may have in progress at once; one more gets 422 `limit_exceeded`', default: 20, minimum: 1, maximum: 1000 }),
  MEDIA_URL_TTL_SEC: integer({ group: FILES, meaning: 'Lifetime of a link from `GET /v1/files/:fileId/url`', default: 300, minimum: 10, maximum: 7 * 24 * 3600 }),
  MEDIA_SWEEP_INTERVAL_MS: integer({ group: FILES, meaning: 'How often a node deletes expired uploads and the bytes of deleted files (in batches; 0: never, for tests)', default: 60_000, minimum: 0, maximum: 24 * 3600 * 1000 }),
  MEDIA_FFMPEG: text({ group: FILES, meaning: 'ffmpeg for waveforms and lengths of compressed audio (voice notes from browsers), first frames and sizes of videos, and GIF and WebP previews: `auto` (ffmpeg and ffprobe from PATH when there), `off`, or the path of ffmpeg (ffprobe beside it); see `docs/media.md`', default: 'auto', pattern: '^(auto|off|/.{1,4095})$', expected: 'auto, off or an absolute path' }),
  MEDIA_FFMPEG_TIMEOUT_MS: integer({ group: FILES, meaning: 'How long ffmpeg may spend on one file before it is stopped (the file then has no waveform or preview)', default: 30_000, minimum: 1000, maximum: 600_000 }),
  CLAMD_ADDRESS: optionalText({ group: FILES, meaning: 'A ClamAV daemon (`host:port`) every upload is streamed to (`INSTREAM`) before it can be used; a flagged file is refused and deleted', unset: 'no scanning', pattern: '^[A-Za-z0-9.-]+:[0-9]{1,5}$', expected: 'host:port' }),
  CLAMD_TIMEOUT_MS: integer({ group: FILES, meaning: 'How long one scan may take; a scan that fails or times out refuses the upload (503, retryable)', default: 30_000, minimum: 100, maximum: 600_000 }),

  RETENTION_DEFAULT_DAYS: integer({ group: SEARCH, meaning: 'Messages older than this many days are deleted for everyone in conversations that set no retention of their own (0: kept forever); see `docs/data.md`', default: 0, minimum: 0, maximum: 36_500 }),
  RETENTION_INTERVAL_MS: integer({ group: SEARCH, meaning: 'How often the retention job looks for expired messages', default: 3_600_000, minimum: 1000, maximum: 86_400_000 }),
  RETENTION_BATCH: integer({ group: SEARCH, meaning: 'Messages the retention job deletes per transaction (and it stops a run after 20 batches, going on next time)', default: 200, minimum: 1, maximum: 10_000 }),
  EXPORT_MIN_INTERVAL_SEC: integer({ group: SEARCH, meaning: 'A user may ask for a new data export this long after their previous one (429 `rate_limited` before; asking again while one is on its way answers that one). The admin API is not limited', default: 24 * 3600, minimum: 0, maximum: 30 * 24 * 3600 }),
  EXPORT_KEEP_SEC: integer({ group: SEARCH, meaning: 'A finished export\'s archive is deleted this long after it was made', default: 7 * 24 * 3600, minimum: 60, maximum: 90 * 24 * 3600 }),
  EXPORT_URL_TTL_SEC: integer({ group: SEARCH, meaning: 'Lifetime of an export\'s download link (a fresh one comes with every read of the export)', default: 600, minimum: 10, maximum: 7 * 24 * 3600 }),
  EXPORT_INTERVAL_MS: integer({ group: SEARCH, meaning: 'How often a node looks for exports to build and archives to delete (a request also starts the job at once on its node)', default: 30_000, minimum: 100, maximum: 3_600_000 }),
  EXPORT_BATCH: integer({ group: SEARCH, meaning: 'Messages an export reads per query (and writes per file of the archive)', default: 500, minimum: 10, maximum: 10_000 }),
  EXPORT_MAX_BYTES: integer({ group: SEARCH, meaning: 'Largest export archive; a bigger one fails (`failed`, with the reason)', default: 5 * 1024 ** 3, minimum: 1024 * 1024, maximum: 5 * 1024 ** 3 }),
  SEARCH_LANGUAGE: choice([...SEARCH_LANGUAGES], { group: SEARCH, meaning: 'PostgreSQL: the language messages are stemmed in for search, besides the unstemmed `simple` form every message also gets (SQLite always stems English). Applies to messages written from then on; see `docs/data.md`', default: 'english' }),
  SEARCH_TIMEOUT_MS: integer({ group: SEARCH, meaning: 'PostgreSQL: longest a message search may run (`statement_timeout`); past it the search answers 503 `unavailable`', default: 2000, minimum: 100, maximum: 60_000 }),
  SEARCH_CANDIDATES: integer({ group: SEARCH, meaning: 'Matches a message search ranks at most, newest first: bounds its time on both stores and how far it pages', default: 1000, minimum: 50, maximum: 100_000 }),

  REDIS_URL: url(['redis:', 'rediss:'], { group: NODES, meaning: 'Redis that joins several nodes (broker, presence, shared rate limits)', unset: 'in-process broker, one node', essential: true }),
  REDIS_KEY_PREFIX: text({ group: NODES, meaning: 'Start of every Redis key and channel, so several deployments can share one Redis', default: 'parley:', pattern: '^[A-Za-z0-9_.:-]{1,64}$', expected: '1 to 64 letters, digits and _ . : -' }),
  REDIS_COMMAND_TIMEOUT_MS: integer({ group: NODES, meaning: 'A shared-state Redis command (rate-limit bucket, presence) unanswered this long fails, and the connection is dropped and reopened: while Redis is unreachable, even silently, a send falls back to per-node rate limits within this time instead of waiting. The broker\'s connections (publisher, subscriber) are pinged and reset when they read nothing for this long, so a silent partition is noticed within about 1.5 times it. Keep it above the event-loop stalls a loaded node sees (a stalled loop fires the timer before reading the answer); see `docs/operations.md`', default: 2_000, minimum: 50, maximum: 60_000 }),
  BROKER: choice(['auto', 'memory', 'redis', 'nats'], { group: NODES, meaning: 'What carries events between nodes: `auto` is NATS when `NATS_URL` is set, else Redis when `REDIS_URL` is set, else in-process (`memory`, one node); see `docs/operations.md`', default: 'auto' }),
  NATS_URL: url(['nats:', 'tls:'], { group: NODES, meaning: 'NATS server that carries events between nodes (one URL: the client learns the cluster\'s other servers from it). Presence and shared rate limits still need `REDIS_URL` across nodes', unset: 'no NATS' }),
  NATS_SUBJECT_PREFIX: text({ group: NODES, meaning: 'First token of every NATS subject, so several deployments can share one NATS', default: 'parley', pattern: '^[A-Za-z0-9_-]{1,64}$', expected: '1 to 64 letters, digits, _ and -' }),
  NATS_JETSTREAM: flag({ group: NODES, meaning: 'NATS broker: carry events through a JetStream stream (`<prefix>-events` over `<prefix>.>`, created at start) instead of plain subjects, so a node that reconnects receives what was published meanwhile, in order, and reports a gap (every socket resyncs) only when the stream no longer holds it; see `docs/operations.md`', default: false }),
  NATS_JETSTREAM_STORAGE: choice(['memory', 'file'], { group: NODES, meaning: 'Where the NATS server keeps that stream: `memory` (no disk write per event; a NATS restart empties it, which nodes report as a gap) or `file` (survives a NATS restart). It is a replay buffer for reconnects, not a record: the logs in the database are', default: 'memory' }),
  NATS_JETSTREAM_MAX_AGE_MS: integer({ group: NODES, meaning: 'The stream drops events older than this: the longest NATS outage of a node that ends without a gap', default: 120_000, minimum: 1000, maximum: 86_400_000 }),
  NATS_JETSTREAM_MAX_BYTES: integer({ group: NODES, meaning: 'The stream drops its oldest events past this size (on the NATS server, in memory with `memory` storage)', default: 256 * MIB, minimum: 1 * MIB, maximum: 1024 * 1024 * MIB }),
  NATS_JETSTREAM_MAX_MSGS: integer({ group: NODES, meaning: 'The stream drops its oldest events past this many', default: 1_000_000, minimum: 100, maximum: 1_000_000_000 }),

  ALLOW_REGISTRATION: flag({ group: ACCOUNTS, meaning: 'Built-in sign-up with handle and password', default: true, essential: true }),
  ADMIN_API_KEY: secret({ group: ACCOUNTS, meaning: 'Bearer key for `/v1/admin/*`', unset: 'admin API answers 401', minLength: 16, essential: true }),
  JWT_SECRET: secret({ group: ACCOUNTS, meaning: 'Key of Parley\'s own access tokens; set the same value on every node', unset: 'generated into `DATA_DIR`', minLength: 32, essential: true }),
  JWT_ISSUER: text({ group: ACCOUNTS, meaning: '`iss` of Parley\'s own tokens', default: 'parley' }),
  JWT_AUDIENCE: text({ group: ACCOUNTS, meaning: '`aud` of Parley\'s own tokens', default: 'parley' }),
  ACCESS_TOKEN_TTL_SEC: integer({ group: ACCOUNTS, meaning: 'Lifetime of an access token', default: 15 * 60, minimum: 30, maximum: 24 * 3600 }),
  REFRESH_TOKEN_TTL_SEC: integer({ group: ACCOUNTS, meaning: 'Lifetime of a refresh token (a session)', default: 30 * 24 * 3600, minimum: 300, maximum: 365 * 24 * 3600 }),

  AUTH_JWT_ISSUER: optionalText({ group: EXTERNAL, meaning: '`iss` of your identity provider\'s tokens (must differ from `JWT_ISSUER`); setting it accepts them', unset: 'external tokens refused', essential: true }),
  AUTH_JWT_AUDIENCE: optionalText({ group: EXTERNAL, meaning: '`aud` those tokens must carry; required with `AUTH_JWT_ISSUER`' }),
  AUTH_JWT_SECRET: secret({ group: EXTERNAL, meaning: 'HS256 shared secret of those tokens; exactly one of it and `AUTH_JWKS_URL`', minLength: 32 }),
  AUTH_JWKS_URL: url(['https:', 'http:'], { group: EXTERNAL, meaning: 'Where the provider publishes its public keys; exactly one of it and `AUTH_JWT_SECRET`' }),
  AUTH_JWT_ALGORITHMS: list(['HS256', ...ASYMMETRIC_ALGORITHMS], { group: EXTERNAL, meaning: 'Algorithms accepted from the JWKS (HS256 only with `AUTH_JWT_SECRET`, which implies it)', default: [...ASYMMETRIC_ALGORITHMS] }),
  AUTH_JWT_CLOCK_SKEW_SEC: integer({ group: EXTERNAL, meaning: 'Tolerance for `exp`/`nbf` against the provider\'s clock', default: 30, minimum: 0, maximum: 300 }),
  AUTH_JWT_NAME_CLAIM: text({ group: EXTERNAL, meaning: 'Claim that holds the user\'s display name', default: 'name' }),
  AUTH_JWT_HANDLE_CLAIM: optionalText({ group: EXTERNAL, meaning: 'Claim that holds the user\'s handle', unset: 'no handle' }),

  POLICY_HOOK_URL: url(['https:', 'http:'], { group: POLICY, meaning: 'Your compliance endpoint, asked before the chosen actions (see the policy hook in `docs/permissions.md`)', unset: 'off (every action passes)', essential: true }),
  POLICY_HOOK_ACTIONS: list([...HOOK_ACTIONS], { group: POLICY, meaning: 'Actions the hook is asked about', default: [...HOOK_ACTIONS] }),
  POLICY_HOOK_TIMEOUT_MS: integer({ group: POLICY, meaning: 'How long one answer may take before `POLICY_HOOK_FAIL` applies', default: 1000, minimum: 10, maximum: 30_000 }),
  POLICY_HOOK_FAIL: choice(['closed', 'open'], { group: POLICY, meaning: 'When the endpoint fails or is slow: `closed` refuses the action, `open` allows it', default: 'closed' }),
  POLICY_HOOK_SECRET: secret({ group: POLICY, meaning: 'Signs each body: `x-parley-signature: sha256=<hex hmac>`', unset: 'unsigned', minLength: 16 }),

  MAX_MESSAGE_LENGTH: integer({ group: LIMITS, meaning: 'Characters in one message', default: 4000, minimum: 1, maximum: Limits.messageTextMaxLength }),
  MAX_GROUP_MEMBERS: integer({ group: LIMITS, meaning: 'Members of one group', default: 10_000, minimum: 2, maximum: 1_000_000 }),
  MAX_CHANNEL_MEMBERS: integer({ group: LIMITS, meaning: 'Members of one channel', default: 1_000_000, minimum: 2, maximum: 100_000_000 }),
  MAX_OWNED_CONVERSATIONS: integer({ group: LIMITS, meaning: 'Groups and channels one user may own; creating one more answers `limit_exceeded`', default: 1000, minimum: 1, maximum: 1_000_000 }),
  MAX_CONVERSATIONS_PER_USER: integer({ group: LIMITS, meaning: 'Conversations of any kind one user may be in (each connect reads and subscribes all of them); joining, or being added to, one more answers `limit_exceeded`', default: 10_000, minimum: 10, maximum: 1_000_000 }),
  PAGE_MAX_BYTES: integer({ group: LIMITS, meaning: 'Serialized size of one page of events or history (and of one `sync` answer\'s events); a page stops before it, with `hasMore`. Keep it below `WS_MAX_BUFFERED_BYTES`', default: 512 * KIB, minimum: 16 * KIB, maximum: 32 * MIB }),
  SYNC_RESET_THRESHOLD: integer({ group: LIMITS, meaning: 'A client further behind than this many events in one conversation is told to reload it', default: 1000, minimum: 10, maximum: 1_000_000 }),

  WS_MAX_FRAME_BYTES: integer({ group: SOCKETS, meaning: 'Larger frames get a `payload_too_large` error (above 1 MiB, or this if larger, the socket is closed)', default: 64 * KIB, minimum: KIB, maximum: MIB }),
  WS_MAX_BUFFERED_BYTES: integer({ group: SOCKETS, meaning: 'Bytes queued for one socket, unread by its peer, before it is closed as a slow consumer (4001, resumable); measured before the first frame of each turn of the event loop (the frames of one turn leave together)', default: MIB, minimum: 16 * KIB, maximum: 64 * MIB }),
  WS_MAX_INFLIGHT: integer({ group: SOCKETS, meaning: 'Requests one socket may have in flight', default: 64, minimum: 1, maximum: 10_000 }),
  WS_HEARTBEAT_MS: integer({ group: SOCKETS, meaning: 'Ping interval; a socket that has not answered the previous ping is closed', default: 25_000, minimum: 1000, maximum: 300_000 }),
  WS_AUTH_TIMEOUT_MS: integer({ group: SOCKETS, meaning: 'How long a new socket may take to authenticate', default: 10_000, minimum: 100, maximum: 120_000 }),
  WS_REAUTH_GRACE_MS: integer({ group: SOCKETS, meaning: 'Once a socket\'s access token expires (it gets a `reauth` frame), how long it has to send a fresh one in an `auth` frame before it is closed with 4101', default: 30_000, minimum: 1000, maximum: 300_000 }),
  HUB_REORDER_HOLD_MS: integer({ group: SOCKETS, meaning: 'How long an out-of-order event is held waiting for the one before it', default: 100, minimum: 0, maximum: 5000 }),

  MEMBER_EVENTS_COALESCE_AT: integer({ group: REALTIME, meaning: 'Conversations of at least this many members do not push each join or leave to every member online: the events stay in the log and members get one coalesced `members_changed` frame per interval (0: always push each one)', default: 500, minimum: 0, maximum: 1_000_000 }),
  MEMBER_EVENTS_COALESCE_MS: integer({ group: REALTIME, meaning: 'The shortest time a node gathers the membership changes of a large conversation before sending its members one `members_changed` frame (larger conversations wait longer: MEMBER_EVENTS_NOTICE_RATE)', default: 1000, minimum: 10, maximum: 60_000 }),
  MEMBER_EVENTS_NOTICE_RATE: integer({ group: REALTIME, meaning: 'The interval between `members_changed` frames grows with the conversation: member count ÷ this many seconds when that is longer than MEMBER_EVENTS_COALESCE_MS (default: 10 s at 10,000 members), so one conversation\'s notices cost a node about this many frames per second at most, whatever its size', default: 1000, minimum: 1, maximum: 1_000_000 }),
  MEMBER_EVENTS_COALESCE_MAX_MS: integer({ group: REALTIME, meaning: 'The longest interval between `members_changed` frames, however large the conversation: how late members may hear of joins and leaves and the new member count (a later event of the conversation brings the notice at once; MEMBER_EVENTS_COALESCE_MS wins if larger)', default: 60_000, minimum: 10, maximum: 600_000 }),
  RECEIPTS_MAX_GROUP: integer({ group: REALTIME, meaning: 'Groups up to this size get live receipt frames and "read by" lists; larger ones counts only', default: 1000, minimum: 2, maximum: 100_000 }),
  TYPING_TTL_MS: integer({ group: REALTIME, meaning: 'How long a typing indicator lives without renewal', default: 6000, minimum: 1000, maximum: 60_000 }),
  TYPING_THROTTLE_MS: integer({ group: REALTIME, meaning: 'At most one typing frame per user and conversation is forwarded per interval', default: 2000, minimum: 0, maximum: 60_000 }),
  PRESENCE_TTL_MS: integer({ group: REALTIME, meaning: 'A node\'s presence entries expire this long after its last heartbeat (a killed node\'s users go offline)', default: 30_000, minimum: 1000, maximum: 600_000 }),
  PRESENCE_MAX_SUBSCRIPTIONS: integer({ group: REALTIME, meaning: 'Users one socket may watch for presence', default: 500, minimum: 1, maximum: 100_000 }),
  PRESENCE_FANOUT_MAX: integer({ group: REALTIME, meaning: 'Direct-conversation peers told of one presence change (most recently active first)', default: 1000, minimum: 0, maximum: 100_000 }),

  RATE_LIMIT_SENDS_PER_USER: tokenBucket({ group: RATE, meaning: 'Message sends per user', default: '600:60' }),
  RATE_LIMIT_SENDS_PER_IP: tokenBucket({ group: RATE, meaning: 'Message sends per client address', default: '6000:600' }),
  RATE_LIMIT_CONNECTS_PER_USER: tokenBucket({ group: RATE, meaning: 'WebSocket connection attempts per user', default: '100:5' }),
  RATE_LIMIT_CONNECTS_PER_IP: tokenBucket({ group: RATE, meaning: 'WebSocket connection attempts per client address', default: '300:30' }),
  RATE_LIMIT_EDITS_PER_USER: tokenBucket({ group: RATE, meaning: 'Message edits and deletions per user', default: '120:2' }),
  RATE_LIMIT_UPLOADS_PER_USER: tokenBucket({ group: RATE, meaning: 'File uploads per user', default: '100:0.5' }),
  RATE_LIMIT_REACTIONS_PER_USER: tokenBucket({ group: RATE, meaning: 'Reactions added or taken back per user', default: '300:5' }),
  RATE_LIMIT_REPORTS_PER_USER: tokenBucket({ group: RATE, meaning: 'Reports filed per user', default: '20:0.05' }),
  RATE_LIMIT_SEARCHES_PER_USER: tokenBucket({ group: RATE, meaning: 'Searches (messages, people, conversations) per user; a search box that searches as you type stays well inside it', default: '30:2' }),
  RATE_LIMIT_CONVERSATIONS_PER_USER: tokenBucket({ group: RATE, meaning: 'Conversations (direct, group or channel) started per user', default: '100:0.2' }),
  RATE_LIMIT_CALLS_PER_USER: tokenBucket({ group: RATE, meaning: 'Calls started, answered, declined or joined per user', default: '30:0.5' }),
  RATE_LIMIT_CALL_SIGNALS_PER_USER: tokenBucket({ group: RATE, meaning: 'Call signaling frames (offers, answers, ICE candidates) per user; past it `call_signal` answers `rate_limited`', default: '300:30' }),
  RATE_LIMIT_REGISTRATIONS_PER_IP: tokenBucket({ group: RATE, meaning: 'Sign-ups per client address (each costs a password hash)', default: '20:0.05' }),
  RATE_LIMIT_REGISTRATIONS: tokenBucket({ group: RATE, meaning: 'Sign-ups on the whole service, from any address (bounds password-hashing work)', default: '200:2' }),
  PAGE_READS_PER_USER: integer({ group: RATE, meaning: 'Pages of events or history one user may have on their way over HTTP on one node (until sent); more get 429', default: 16, minimum: 1, maximum: 1000 }),
  RATE_LIMIT_LOGINS_PER_IP: tokenBucket({ group: RATE, meaning: 'Logins (right password or not) per client address', default: '30:0.5' }),
  RATE_LIMIT_LOGINS_PER_HANDLE_IP: tokenBucket({ group: RATE, meaning: 'Logins (right password or not) per handle from one client address; refused past it', default: '10:0.1' }),
  RATE_LIMIT_LOGINS_PER_HANDLE: tokenBucket({ group: RATE, meaning: 'Logins per handle from all addresses; past it answers are slowed, never refused (see Rate limits)', default: '10:0.1' }),
  RATE_LIMIT_LOGIN_DELAY_MAX_MS: integer({ group: RATE, meaning: 'Longest slow-down of a login for a handle past `RATE_LIMIT_LOGINS_PER_HANDLE` (doubling from 250 ms; 0: no slow-down)', default: 8000, minimum: 0, maximum: 60_000 }),

  CALL_RING_TIMEOUT_MS: integer({ group: CALLS, meaning: 'How long a call rings; who has not answered by then missed it (a 1:1 call then ends)', default: 45_000, minimum: 1000, maximum: 600_000 }),
  CALL_RECONNECT_GRACE_MS: integer({ group: CALLS, meaning: 'How long a participant whose device lost its socket stays in the call before leaving it (`disconnected`)', default: 30_000, minimum: 0, maximum: 600_000 }),
  CALL_SWEEP_INTERVAL_MS: integer({ group: CALLS, meaning: 'How often each node settles rings that ran out and participants gone too long (reads also settle them when they look)', default: 5000, minimum: 50, maximum: 300_000 }),
  CALL_MAX_RING: integer({ group: CALLS, meaning: 'Members of a group rung when a call starts; in larger groups nobody is rung (everyone sees `call.started` and may join)', default: 50, minimum: 1, maximum: 10_000 }),
  CALL_MESH_MAX_PARTICIPANTS: integer({ group: CALLS, meaning: 'People in a group call without a media backend (peer to peer between every pair)', default: 4, minimum: 2, maximum: 16 }),
  STUN_URLS: optionalText({ group: CALLS, meaning: 'STUN servers handed to 1:1 calls, comma-separated (`stun:host:3478`)', unset: 'none (host candidates only, enough on one network)', pattern: '^stuns?:[^,\\s]+(,stuns?:[^,\\s]+)*$', expected: 'stun: URLs separated by commas' }),
  TURN_URLS: optionalText({ group: CALLS, meaning: 'TURN servers handed to 1:1 calls with per-call credentials, comma-separated (`turn:host:3478?transport=udp,turns:host:5349`); needs `TURN_SECRET`', unset: 'no TURN', pattern: '^turns?:[^,\\s]+(,turns?:[^,\\s]+)*$', expected: 'turn: or turns: URLs separated by commas' }),
  TURN_SECRET: secret({ group: CALLS, meaning: 'coturn\'s `static-auth-secret` (`use-auth-secret`): TURN passwords are base64(HMAC-SHA1(secret, "expiry:userId"))', minLength: 16 }),
  TURN_CREDENTIAL_TTL_SEC: integer({ group: CALLS, meaning: 'Lifetime of a TURN credential (a call running longer asks `GET /v1/calls/:id/media` again)', default: 3600, minimum: 60, maximum: 7 * 24 * 3600 }),
  CALL_MEDIA_BACKEND: choice(['auto', 'livekit', 'janus', 'none'], { group: CALLS, meaning: 'Which media backend carries group calls: `auto` takes the one configured (LiveKit or Janus; both configured must be chosen between), `none` keeps group calls peer to peer', default: 'auto' }),
  LIVEKIT_URL: url(['wss:', 'ws:', 'https:', 'http:'], { group: CALLS, meaning: 'LiveKit server that carries group calls, as clients reach it (`wss://livekit.example.com`); needs `LIVEKIT_API_KEY` and `LIVEKIT_API_SECRET`', unset: 'group calls peer to peer, up to `CALL_MESH_MAX_PARTICIPANTS`; no calls in channels' }),
  LIVEKIT_API_URL: url(['https:', 'http:'], { group: CALLS, meaning: 'LiveKit\'s API as this server reaches it (inside the cluster)', unset: '`LIVEKIT_URL`' }),
  LIVEKIT_API_KEY: optionalText({ group: CALLS, meaning: 'LiveKit API key (also the issuer of its webhooks)' }),
  LIVEKIT_API_SECRET: secret({ group: CALLS, meaning: 'LiveKit API secret: signs access tokens, verifies webhooks at `POST /v1/webhooks/livekit`', minLength: 16 }),
  LIVEKIT_TOKEN_TTL_SEC: integer({ group: CALLS, meaning: 'Lifetime of a LiveKit access token (only for joining: a connected participant stays)', default: 600, minimum: 30, maximum: 24 * 3600 }),
  JANUS_URL: url(['https:', 'http:'], { group: CALLS, meaning: 'Janus\' HTTP API (VideoRoom plugin) that carries group calls, as clients reach it (`https://janus.example.com/janus`); needs `JANUS_ADMIN_KEY`. See `docs/calls.md` for Janus\' own configuration', unset: 'no Janus' }),
  JANUS_API_URL: url(['https:', 'http:'], { group: CALLS, meaning: 'Janus\' HTTP API as this server reaches it (inside the cluster)', unset: '`JANUS_URL`' }),
  JANUS_ADMIN_KEY: secret({ group: CALLS, meaning: 'The VideoRoom plugin\'s `admin_key` (only its holders create rooms); each call\'s room secret and participants\' join tokens are derived from it', minLength: 16 }),
  PUSH_ENABLED: flag({ group: PUSH, meaning: 'Push notifications: each message that could notify someone (in a direct conversation: a recipient with a push device) queues one outbox row for recipients who are offline (see `docs/push.md`)', default: true, essential: true }),
  PUSH_WORKER: flag({ group: PUSH, meaning: 'Drain the push outbox on this node (false: this node only queues; run the worker on other nodes)', default: true }),
  PUSH_ONLINE_GRACE_MS: integer({ group: PUSH, meaning: 'A message notifies recipients still offline this long after it was sent (who is online on any device gets nothing)', default: 5000, minimum: 0, maximum: 600_000 }),
  PUSH_BATCH_SIZE: integer({ group: PUSH, meaning: 'Outbox rows, recipients per expansion page and deliveries one worker round claims', default: 100, minimum: 1, maximum: 5000 }),
  PUSH_CONCURRENCY: integer({ group: PUSH, meaning: 'Sends to providers in flight at once per node', default: 32, minimum: 1, maximum: 1000 }),
  PUSH_MAX_ATTEMPTS: integer({ group: PUSH, meaning: 'Attempts per device before a notification is recorded as dead', default: 8, minimum: 1, maximum: 100 }),
  PUSH_RETRY_BASE_MS: integer({ group: PUSH, meaning: 'First retry delay; doubles per attempt, with jitter, never before a provider\'s `Retry-After`', default: 1000, minimum: 10, maximum: 600_000 }),
  PUSH_RETRY_MAX_MS: integer({ group: PUSH, meaning: 'Longest retry delay', default: 900_000, minimum: 100, maximum: 86_400_000 }),
  PUSH_POLL_MS: integer({ group: PUSH, meaning: 'How often the worker looks for due rows when nothing woke it (messages sent on this node wake it)', default: 1000, minimum: 10, maximum: 60_000 }),
  PUSH_TIMEOUT_MS: integer({ group: PUSH, meaning: 'How long one request to a provider may take before it is retried', default: 10_000, minimum: 100, maximum: 120_000 }),
  PUSH_LEASE_MS: integer({ group: PUSH, meaning: 'Rows a node claimed and did not finish within this are taken over by another (the node died)', default: 300_000, minimum: 1000, maximum: 3_600_000 }),
  FCM_SERVICE_ACCOUNT_FILE: optionalText({ group: PUSH, meaning: 'Firebase service-account key (JSON) for FCM HTTP v1; its `token_uri` is where access tokens come from', unset: 'no FCM (Android) notifications' }),
  FCM_API_URL: url(['https:', 'http:'], { group: PUSH, meaning: 'FCM API base URL', unset: '`https://fcm.googleapis.com`' }),
  APNS_KEY_FILE: optionalText({ group: PUSH, meaning: 'APNs signing key (`AuthKey_<id>.p8`); with `APNS_KEY_ID`, `APNS_TEAM_ID` and `APNS_TOPIC`', unset: 'no APNs (iOS) notifications' }),
  APNS_KEY_ID: optionalText({ group: PUSH, meaning: 'Key ID of that key (the `kid` of provider tokens)', pattern: '^[A-Z0-9]{1,32}$', expected: 'letters and digits, such as ABC123DEFG' }),
  APNS_TEAM_ID: optionalText({ group: PUSH, meaning: 'Apple developer team ID (the `iss` of provider tokens)', pattern: '^[A-Z0-9]{1,32}$', expected: 'letters and digits, such as DEF123GHIJ' }),
  APNS_TOPIC: optionalText({ group: PUSH, meaning: 'The app\'s bundle ID (`apns-topic`)', pattern: '^[A-Za-z0-9.-]{1,255}$', expected: 'a bundle id such as com.example.chat' }),
  APNS_URL: url(['https:'], { group: PUSH, meaning: 'APNs server (`https://api.sandbox.push.apple.com` for development builds)', unset: '`https://api.push.apple.com`' }),
  APNS_CA_FILE: optionalText({ group: PUSH, meaning: 'Extra trusted CA certificates (PEM) for the APNs connection (a TLS-inspecting proxy or a test server)', unset: 'the system\'s' }),
  WEB_PUSH_ENABLED: flag({ group: PUSH, meaning: 'Web Push (browsers) with VAPID', default: true }),
  VAPID_PUBLIC_KEY: optionalText({ group: PUSH, meaning: 'VAPID public key (uncompressed P-256 point, base64url); with `VAPID_PRIVATE_KEY`. Every node must use the same pair', unset: 'a pair generated into `DATA_DIR`', pattern: '^[A-Za-z0-9_-]{87}$', expected: '87 base64url characters' }),
  VAPID_PRIVATE_KEY: secret({ group: PUSH, meaning: 'VAPID private key (32 bytes, base64url); with `VAPID_PUBLIC_KEY`', minLength: 43 }),
  VAPID_SUBJECT: text({ group: PUSH, meaning: 'Contact a push service may use about this server (`sub` of VAPID tokens)', default: 'mailto:push@parley.invalid', pattern: '^(mailto:|https://)\\S+$', expected: 'a mailto: or https:// URL' }),
  WEB_PUSH_HOSTS: text({ group: PUSH, meaning: 'Push services subscriptions may point at (host names, comma-separated; a subdomain matches); others are refused so the server never posts to arbitrary hosts', default: 'fcm.googleapis.com,updates.push.services.mozilla.com,push.services.mozilla.com,notify.windows.com,push.apple.com', pattern: '^[A-Za-z0-9.:\\[\\]-]+(,[A-Za-z0-9.:\\[\\]-]+)*$', expected: 'comma-separated host names' }),
  WEB_PUSH_TTL_SEC: integer({ group: PUSH, meaning: 'How long a push service keeps a notification for a browser that is offline', default: 86_400, minimum: 0, maximum: 2_419_200 }),

  WS_MAX_CONNECTIONS: integer({ group: OVERLOAD, meaning: 'New sockets beyond this many on the node are refused (4002, resumable)', default: 20_000, minimum: 1, maximum: 10_000_000 }),
  WS_MAX_PENDING_CONNECTS: integer({ group: OVERLOAD, meaning: 'Sockets that may be between their upgrade and `ready` (verifying the token, loading memberships) on the node at once; further upgrade requests get HTTP 503 with `Retry-After` before any WebSocket work, so a reconnect storm is admitted in order instead of timing out half-authenticated (0: no bound)', default: 200, minimum: 0, maximum: 100_000 }),
  WS_CONNECT_QUEUE: integer({ group: OVERLOAD, meaning: 'Upgrade requests that find the pending-connect bound full wait here, oldest first, and are taken on as slots free (a refusal would send the client away for seconds while a slot frees in milliseconds); past this many waiting, the next gets the HTTP 503 at once (0: refuse at once, no waiting)', default: 5_000, minimum: 0, maximum: 100_000 }),
  WS_CONNECT_QUEUE_MS: integer({ group: OVERLOAD, meaning: 'An upgrade request that waited this long for a pending-connect slot gets the HTTP 503 with `Retry-After` instead', default: 10_000, minimum: 100, maximum: 120_000 }),
  OVERLOAD_EVENT_LOOP_LAG_MS: integer({ group: OVERLOAD, meaning: 'New sockets are refused while the event loop lags more than this (0: never)', default: 1000, minimum: 0, maximum: 60_000 }),
  SHUTDOWN_DELAY_MS: integer({ group: OVERLOAD, meaning: 'On SIGTERM, readiness fails this long before the drain starts', default: 0, minimum: 0, maximum: 120_000 }),
  DRAIN_WINDOW_MS: integer({ group: OVERLOAD, meaning: 'Sockets are asked to reconnect elsewhere spread over this window', default: 5000, minimum: 0, maximum: 600_000 }),
  DRAIN_GRACE_MS: integer({ group: OVERLOAD, meaning: 'How long in-flight requests may take to finish before sockets are closed anyway', default: 10_000, minimum: 0, maximum: 600_000 }),
});

/** The environment as values: every variable with a default is present, the others when set. */
export type EnvValues = Static<typeof EnvSchema>;
export type EnvName = keyof EnvValues & string;
