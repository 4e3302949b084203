export {
  type AdminHandler,
  type AdminRoute,
  type AdminServer,
  sendJson,
  startAdminServer,
} from './admin-server.ts';
export { type AuthResult, bearerChecker } from './auth.ts';
export {
  CliError,
  type CliOption,
  type CliSpec,
  cli,
  formatHelp,
  metricsHostOption,
  parseCliArgs,
  parseDurationOption,
  parsePort,
} from './cli.ts';
export { type Clock, sleep, systemClock } from './clock.ts';
// The config helpers, also importable alone as '@sre-stack/runtime/config'.
export * from './config/index.ts';
export { parseInChildProcess, type SchemaSource } from './config/parse-child.ts';
export { substitute, substitutedValues } from './config/substitute.ts';
export { type WatchedConfig, watchConfig } from './config/watch.ts';
export { type DirectLine, directLine } from './direct-line.ts';
export { displayUrl, isSensitiveParameter, REDACTED } from './display-url.ts';
export { CONNECTIONS_CHECKING_INTERVAL_MS, LISTENER_LIMITS, refuseTunnels } from './http-listener.ts';
export {
  createLifecycle,
  DEFAULT_DRAIN_TIMEOUT_MS,
  type DrainOptions,
  drainHttpServer,
  type Lifecycle,
} from './lifecycle.ts';
export { LineBuffer } from './line-buffer.ts';
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
export { renderMetrics, sendMetrics } from './metrics-text.ts';
export { rootContext } from './telemetry/lean-context.ts';
export {
  endServerSpan,
  exemplarOf,
  isValidSpanContext,
  type ServerSpan,
  sampledTraceId,
  startServerSpan,
  traceFields,
  unrecordedSpan,
} from './telemetry/server-span.ts';
export { untracedPorts } from './telemetry/state.ts';
