// rgate's command line, as its spec gives it: `rgate --port 8080 --config config.yml`. rgate is the
// proxy with rgate's defaults: port 8080, one process (its /stats counts everything it receives), and
// its own admin port for metrics and health.
import {
  CliError,
  type CliOption,
  type CliSpec,
  cli,
  metricsHostOption,
  parseDurationOption,
  parsePort,
} from '@sre-stack/runtime/cli';
import type { ProxyOptions } from '../cli.ts';

export const RGATE_PORT = 8080;
export const RGATE_METRICS_PORT = 9104;

const spec = {
  name: 'rgate',
  summary: 'API gateway for Docker containers: path-prefix routes to containers chosen by label, with /stats',
  usage: 'rgate --port 8080 --config config.yml [--metrics-port M]\n       rgate --check --config config.yml',
  options: {
    config: {
      type: 'string',
      valueName: 'FILE',
      env: 'RGATE_CONFIG',
      description: 'YAML config: routes (path_prefix, backend), default_response, backends (match_labels)',
    },
    port: {
      type: 'string',
      valueName: 'N',
      env: 'RGATE_PORT',
      default: String(RGATE_PORT),
      description: 'serving port, with GET /stats; 0 picks a free one',
    },
    'metrics-port': {
      type: 'string',
      valueName: 'M',
      env: 'RGATE_METRICS_PORT',
      default: String(RGATE_METRICS_PORT),
      description: 'admin port for /metrics, /healthz, /readyz',
    },
    'metrics-host': metricsHostOption('RGATE_METRICS_HOST'),
    'drain-timeout': {
      type: 'string',
      valueName: 'DURATION',
      env: 'RGATE_DRAIN_TIMEOUT',
      default: '5s',
      description: 'on SIGTERM, how long in-flight requests may take to finish; the process exits within it',
    },
    check: {
      type: 'boolean',
      description: 'validate the config, print any file:line:column errors, exit 0 or 1',
    },
  },
  footer: [
    'Containers are found through the Docker Engine API at DOCKER_HOST (default unix:///var/run/docker.sock)',
    'and followed through its events: a container that starts or stops is in or out within a second or two.',
    'A container is reached on a network it shares with rgate, at its exposed port (label rgate.port overrides),',
    'or at the port it publishes; one on the host network at 127.0.0.1.',
  ].join('\n'),
} satisfies CliSpec<Record<string, CliOption>>;

export function parseRgateOptions(argv?: string[]): ProxyOptions {
  const values = cli({ ...spec, argv });
  try {
    if (!values.config) throw new CliError('--config FILE (or RGATE_CONFIG) is required');
    return {
      config: values.config,
      port: parsePort(values.port, '--port'),
      tlsPort: undefined,
      metricsPort: parsePort(values['metrics-port'], '--metrics-port'),
      metricsHost: values['metrics-host'] || undefined,
      drainTimeoutMs: parseDurationOption(values['drain-timeout'], '--drain-timeout'),
      workers: 1,
      workersSet: true,
      check: values.check,
    };
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    process.stderr.write(`rgate: ${error.message}\nTry 'rgate --help'.\n`);
    process.exit(2);
  }
}
