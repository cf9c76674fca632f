export { type Config, ConfigError, type ExternalAuthConfig, loadConfig } from './config.ts';
