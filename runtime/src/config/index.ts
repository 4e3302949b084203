// The config helpers on their own ('@sre-stack/runtime/config'): what validating a file needs, without
// the metrics registry, the telemetry API or the logger that the package's main entry also loads. A
// command that only checks a config (proxy --check) then loads no metrics library at all.
export {
  DURATION_PATTERN,
  type DurationOptions,
  duration,
  durationText,
  formatDuration,
  MAX_DURATION_MS,
  parseDuration,
} from './duration.ts';
export {
  DURATION_HINT,
  describeSchemaIssue,
  durationMessage,
  unwrapUnionIssues,
  valueAt,
} from './errors.ts';
export { headerFields, headerName, headerValue } from './http-fields.ts';
export { type ConfigLimits, configLimits, DEFAULT_CONFIG_LIMITS } from './limits.ts';
export {
  ConfigError,
  type ConfigIssue,
  configPath,
  formatIssue,
  formatPath,
  loadConfigFile,
  parseConfigText,
  readConfigText,
  regularFile,
} from './load.ts';
export { movedField } from './moved.ts';
