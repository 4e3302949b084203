// A worker thread: serves requests on the port every worker listens on (reusePort: the kernel spreads
// connections), with the config the main thread sends (it alone watches the file), and the policies'
// state in the memory every worker shares. Answers the main thread's metrics requests and takes part in
// transactional reloads (prepare, then commit or abort).
import { parentPort, workerData } from 'node:worker_threads';
import { registry, untracedPorts } from '@sre-stack/runtime';
import { LeanCounter, type MetricSnapshot } from '@sre-stack/runtime/lean-metrics';
import { createLoggers } from '../loggers.ts';
import { type PreparedConfig, ProxyServer } from '../server/proxy-server.ts';
import { SharedState } from '../state/state.ts';
import { setSpanRecording } from '../telemetry/tracing.ts';
import { isMessage, type ToPrimary, type ToWorker, type WorkerStart } from './messages.ts';

const connections = new LeanCounter(
  'proxy_worker_connections_total',
  'Connections accepted, by worker thread: how evenly the kernel (SO_REUSEPORT) spreads them.',
  ['worker'],
);

/** Process-wide metrics the main thread reports once; a worker's copy would be counted twice. */
const PROCESS_METRICS = /^(process_|nodejs_)/;

export async function runWorker(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('runWorker() runs in a worker thread');
  const start = workerData as WorkerStart;
  const { telemetry } = await import('@sre-stack/runtime/telemetry');
  setSpanRecording(telemetry.tracesExported || Boolean(process.env.OTEL_TRACES_SAMPLER));
  const { logger, accessLog, flush } = createLoggers();
  const log = logger.child({ worker: start.index });
  const send = (message: ToPrimary) => port.postMessage(message);
  const server = new ProxyServer(start.config, {
    logger: log,
    accessLog,
    workers: start.workers,
    shared: new SharedState(start.shared),
    runsHealthChecks: start.index === 0,
  });
  await server.ready();
  // Loading is the slow part (modules, telemetry): every worker does it at once, then listens when told.
  const where = await new Promise<Extract<ToWorker, { type: 'proxy:listen' }>>((resolve) => {
    const onListen = (message: unknown) => {
      if (!isMessage<ToWorker>(message) || message.type !== 'proxy:listen') return;
      port.off('message', onListen);
      resolve(message);
    };
    port.on('message', onListen);
    send({ type: 'proxy:loaded' });
  });
  let listening: number;
  let tlsListening: number | undefined;
  try {
    listening = await server.listen(where.port, where.host, true);
    const tls = start.config.tls;
    if (tls && where.tlsPort !== undefined) {
      tlsListening = await server.listenTls(where.tlsPort, tls.host ?? where.host, true);
      untracedPorts.add(tlsListening);
    }
  } catch (error) {
    log.error({ err: error }, 'worker cannot listen');
    send({ type: 'proxy:failed', message: (error as Error).message });
    return;
  }
  untracedPorts.add(listening);
  const accepted = connections.child(String(start.index));
  server.server.on('connection', () => accepted.inc());
  const prepared = new Map<number, PreparedConfig>();
  /** Reloads decided (committed elsewhere or aborted) before this worker finished preparing them. */
  const settled = new Set<number>();
  // For the reload tests only: this worker refuses every reload, as a worker that cannot apply a config
  // would (see test/integration/threads.test.ts).
  const refuses = process.env.PROXY_TEST_REFUSE_RELOAD_WORKER === String(start.index);

  port.on('message', async (message: unknown) => {
    if (!isMessage<ToWorker>(message)) return;
    switch (message.type) {
      case 'proxy:prepare':
        try {
          if (refuses) throw new Error('refused by PROXY_TEST_REFUSE_RELOAD_WORKER');
          const ready = await server.prepare(message.config);
          // Too late: the main thread gave up waiting and aborted this reload meanwhile.
          if (settled.delete(message.id)) server.abort(ready);
          else prepared.set(message.id, ready);
          send({ type: 'proxy:prepared', id: message.id, ok: true });
        } catch (error) {
          log.error({ err: error }, 'worker cannot apply the new config');
          send({ type: 'proxy:prepared', id: message.id, ok: false, message: (error as Error).message });
        }
        return;
      case 'proxy:commit':
      case 'proxy:abort': {
        const ready = prepared.get(message.id);
        prepared.delete(message.id);
        // Not prepared yet: the decision is kept, and a late prepare is dropped (see above).
        if (!ready) settled.add(message.id);
        else if (message.type === 'proxy:commit') server.commit(ready);
        else server.abort(ready);
        return;
      }
      case 'proxy:metrics': {
        const metrics = (await registry.getMetricsAsJSON()) as unknown as MetricSnapshot[];
        send({
          type: 'proxy:metrics',
          id: message.id,
          metrics: metrics.filter((metric) => !PROCESS_METRICS.test(metric.name)),
        });
        return;
      }
      case 'proxy:shutdown': {
        let ok = true;
        try {
          await server.drain(message.deadline);
          await server.close();
        } catch (error) {
          ok = false;
          log.error({ err: error }, 'worker could not drain cleanly');
        }
        flush();
        await telemetry.shutdown?.().catch(() => {});
        send({ type: 'proxy:stopped', ok });
        port.close();
        return;
      }
    }
  });
  send({ type: 'proxy:listening', port: listening, tlsPort: tlsListening });
}
