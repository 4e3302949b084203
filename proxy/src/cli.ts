// The proxy's command line. Flags win over environment variables, which win over the config file.
import { availableParallelism } from 'node:os';
import {
  CliError,
  type CliOption,
  type CliSpec,
  cli,
  metricsHostOption,
  parseDurationOption,
  parsePort,
} from '@sre-stack/runtime/cli';

const spec = {
  name: 'proxy',
  summary:
    'resilient, instrumented HTTP proxy: rate limit, circuit breaker, retry and timeouts, load balancing',
  usage:
    'proxy --config FILE [--port N] [--tls-port N] [--metrics-port M] [--workers N]\n       proxy --check --config FILE\n       proxy certs --dir DIR --host NAME...   (a local CA and a server certificate; proxy certs --help)',
  options: {
    config: {
      type: 'string',
      valueName: 'FILE',
      env: 'PROXY_CONFIG',
      description:
        'YAML config file (required): the proxy format, or another format it reads (the sidecar, rgate or load-balancer format), detected',
    },
    port: {
      type: 'string',
      valueName: 'N',
      env: 'PROXY_PORT',
      description: 'serving port; 0 picks a free one (default: listen.port from the config, 8000)',
    },
    'tls-port': {
      type: 'string',
      valueName: 'N',
      env: 'PROXY_TLS_PORT',
      description: 'TLS port, when the config has a tls section; 0 picks a free one (default: tls.port, 443)',
    },
    'metrics-port': {
      type: 'string',
      valueName: 'M',
      env: 'PROXY_METRICS_PORT',
      description: 'admin port for /metrics, /healthz, /readyz, /config (default: admin.port, 9102)',
    },
    'metrics-host': metricsHostOption('PROXY_METRICS_HOST'),
    'drain-timeout': {
      type: 'string',
      valueName: 'DURATION',
      env: 'PROXY_DRAIN_TIMEOUT',
      default: '5s',
      description: 'on SIGTERM, how long in-flight requests may take to finish; the process exits within it',
    },
    workers: {
      type: 'string',
      valueName: 'N',
      env: 'PROXY_WORKERS',
      description:
        'serving worker threads sharing the port and the policies\' state; 1 serves in the main thread (default: 1; "auto": one per CPU core)',
    },
    check: {
      type: 'boolean',
      description: 'validate the config, print any file:line:column errors, exit 0 or 1',
    },
  },
  footer: [
    'Reload: edit the file (watched) or send SIGHUP; a broken file is refused and the last good config stays.',
    'SIGTERM/SIGINT drain in-flight requests, then exit 0.',
    'Telemetry: OTEL_EXPORTER_OTLP_ENDPOINT (traces), OTEL_PROPAGATORS (tracecontext, b3, jaeger, ...), LOG_FORMAT=pretty.',
  ].join('\n'),
} satisfies CliSpec<Record<string, CliOption>>;

export interface ProxyOptions {
  config: string;
  port: number | undefined;
  tlsPort: number | undefined;
  metricsPort: number | undefined;
  /** Overrides admin.host from the config. */
  metricsHost: string | undefined;
  drainTimeoutMs: number;
  workers: number;
  /** Whether --workers (or PROXY_WORKERS) asked for a number, rather than the default. */
  workersSet: boolean;
  check: boolean;
}

export function parseOptions(argv?: string[]): ProxyOptions {
  const values = cli({ ...spec, argv });
  try {
    if (!values.config) throw new CliError('--config FILE (or PROXY_CONFIG) is required');
    return {
      config: values.config,
      port: values.port === undefined ? undefined : parsePort(values.port, '--port'),
      tlsPort: values['tls-port'] === undefined ? undefined : parsePort(values['tls-port'], '--tls-port'),
      metricsPort:
        values['metrics-port'] === undefined
          ? undefined
          : parsePort(values['metrics-port'], '--metrics-port'),
      metricsHost: values['metrics-host'] || undefined,
      drainTimeoutMs: drainTimeout(values['drain-timeout']),
      workers: parseWorkers(values.workers),
      workersSet: values.workers !== undefined && values.workers !== '' && values.workers !== 'auto',
      check: values.check,
    };
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    process.stderr.write(`proxy: ${error.message}\nTry 'proxy --help'.\n`);
    process.exit(2);
  }
}

/** Cluster workers do not parse the command line: the value reaches them through the environment. */
function drainTimeout(value: string | undefined): number {
  const ms = parseDurationOption(value, '--drain-timeout');
  process.env.PROXY_DRAIN_TIMEOUT = `${ms}ms`;
  return ms;
}

function parseWorkers(value: string | undefined): number {
  // One thread carries a sidecar's or a demo's load with room to spare; more are asked for explicitly.
  if (value === undefined || value === '') return 1;
  if (value === 'auto') return availableParallelism();
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 256) {
    throw new CliError(`--workers must be a number from 1 to 256 or "auto", got "${value}"`);
  }
  return Number(value);
}
