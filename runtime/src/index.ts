export { type AdminHandler, type AdminServer, sendJson, startAdminServer } from './admin-server.ts';
export { CliError, type CliOption, type CliSpec, cli, formatHelp, parseCliArgs, parsePort } from './cli.ts';
export { type Clock, sleep, systemClock } from './clock.ts';
export { DURATION_PATTERN, duration, formatDuration, parseDuration } from './config/duration.ts';
export {
  ConfigError,
  type ConfigIssue,
  configPath,
  formatIssue,
  formatPath,
  loadConfigFile,
  parseConfigText,
} from './config/load.ts';
export { substitute } from './config/substitute.ts';
export { type WatchedConfig, watchConfig } from './config/watch.ts';
export { createLifecycle, drainHttpServer, type Lifecycle } from './lifecycle.ts';
export { createLogger, type Logger } from './logger.ts';
export {
  Counter,
  currentExemplar,
  Gauge,
  gauge,
  Histogram,
  LATENCY_BUCKETS_SECONDS,
  latencyHistogram,
  methodLabel,
  observeSeconds,
  registry,
} from './metrics.ts';
export { untracedPorts } from './telemetry/state.ts';
