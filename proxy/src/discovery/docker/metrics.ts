// Discovery's own health: whether the event stream is up, and what failed.
import { Counter, gauge, registry } from '@sre-stack/runtime';

export const discoveryMetrics = {
  connected: gauge(
    'proxy_docker_events_connected',
    'Whether the Docker event stream is connected (1) or not (0).',
  ),
  events: new Counter({
    name: 'proxy_docker_events_total',
    help: 'Docker container events received.',
    registers: [registry],
  }),
  reconnects: new Counter({
    name: 'proxy_docker_reconnects_total',
    help: 'Reconnections of the Docker event stream (after it ended or failed).',
    registers: [registry],
  }),
  errors: new Counter({
    name: 'proxy_docker_errors_total',
    help: 'Docker API calls that failed, by operation (list, events).',
    labelNames: ['operation'],
    registers: [registry],
  }),
};
