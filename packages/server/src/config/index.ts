export { type Config, type ExternalAuthConfig, loadConfig, type BucketRuleConfig, type CallsConfig, type ExportsConfig, type MediaConfig, type RateLimitsConfig, type RealtimeConfig, type PolicyHookConfig, type PushConfig, type Role } from './config.ts';
export { runsBackgroundJobs, servesApi, servesSockets } from './roles.ts';
export { ConfigError, type ConfigProblem } from './config-error.ts';
export { HOOK_ACTIONS, type HookAction } from './env.schema.ts';
export { CONFIG_DOCS, type ConfigDoc, readConfigSection, replaceConfigSection } from './config-docs.ts';
