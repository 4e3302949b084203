// Command line and environment: flags win over SERVER_* variables, which win over defaults.
import {
  CliError,
  type CliOption,
  type CliSpec,
  cli,
  metricsHostOption,
  parseDurationOption,
  parsePort,
} from '@sre-stack/runtime/cli';

export const cliSpec = {
  name: 'flaky-server',
  summary: 'HTTP status server with controllable chaos, API-compatible with the original Go server',
  usage: 'flaky-server [--port N] [--metrics-port M] [--host ADDRESS] [--config FILE]',
  options: {
    port: {
      type: 'string',
      description: 'port for the API',
      env: 'SERVER_PORT',
      default: '8080',
      valueName: 'N',
    },
    'metrics-port': {
      type: 'string',
      description: 'port for /metrics, /healthz, /readyz',
      env: 'SERVER_METRICS_PORT',
      default: '9101',
      valueName: 'M',
    },
    host: {
      type: 'string',
      description: 'address the API listener binds (and the metrics listener, unless --metrics-host)',
      env: 'SERVER_HOST',
      default: '0.0.0.0',
      valueName: 'ADDRESS',
    },
    'metrics-host': metricsHostOption('SERVER_METRICS_HOST'),
    config: {
      type: 'string',
      description: 'YAML chaos profile, reloaded when it changes and on SIGHUP',
      env: 'SERVER_CONFIG',
      valueName: 'FILE',
    },
    'drain-timeout': {
      type: 'string',
      description: 'on SIGTERM, how long in-flight requests may take to finish; the process exits within it',
      env: 'SERVER_DRAIN_TIMEOUT',
      default: '5s',
      valueName: 'DURATION',
    },
  },
  footer: [
    'Environment:',
    '  SERVER_ADMIN_TOKEN   when set, POST /status/{code}, POST /flaky and PUT /flaky need',
    '                       "Authorization: Bearer <token>"',
    '  LOG_LEVEL, LOG_FORMAT=pretty, OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME: see docs/architecture.md',
    '',
    'Examples:',
    '  flaky-server --config server/flaky-server.yaml',
    '  curl -X POST localhost:8080/status/503; curl -i localhost:8080/status',
  ].join('\n'),
} satisfies CliSpec<Record<string, CliOption>>;

export interface Settings {
  port: number;
  metricsPort: number;
  host: string;
  metricsHost: string;
  configFile?: string;
  drainTimeoutMs: number;
  adminToken?: string;
}

export function readSettings(argv: string[] = process.argv.slice(2), env = process.env): Settings {
  const values = cli({ ...cliSpec, argv });
  try {
    const drainTimeoutMs = parseDurationOption(values['drain-timeout'], '--drain-timeout');
    return {
      port: parsePort(values.port, '--port'),
      metricsPort: parsePort(values['metrics-port'], '--metrics-port'),
      host: values.host || '0.0.0.0',
      metricsHost: values['metrics-host'] || values.host || '0.0.0.0',
      configFile: values.config || undefined,
      drainTimeoutMs,
      adminToken: env.SERVER_ADMIN_TOKEN || undefined,
    };
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    process.stderr.write(`${cliSpec.name}: ${error.message}\nTry '${cliSpec.name} --help'.\n`);
    process.exit(2);
  }
}
