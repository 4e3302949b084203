// The cluster primary: watches the config and hands it to the workers, owns the admin listener (with
// the workers' metrics merged, see aggregate.ts), restarts a worker that dies, and on SIGTERM has every
// worker drain before it exits. It serves no traffic itself; connections are spread over the workers
// round-robin by node:cluster.
import cluster, { type Worker } from 'node:cluster';
import {
  createLifecycle,
  type Logger,
  registry,
  sendJson,
  startAdminServer,
  watchConfig,
} from '@sre-stack/runtime';
import { anyConfigSchema, describeConfigFile } from '../adapters/index.ts';
import { configRoute } from '../admin.ts';
import type { ProxyOptions } from '../cli.ts';
import type { ProxyConfig } from '../config/schema.ts';
import { createLoggers } from '../loggers.ts';
import { faultAdmin } from '../policies/fault/admin.ts';
import { reportStartupError } from '../single.ts';
import type { MetricSnapshot } from '../telemetry/lean-metrics.ts';
import { mergeSnapshots, renderOpenMetrics } from './aggregate.ts';
import { isMessage, type ToPrimary, type ToWorker } from './messages.ts';

const METRICS_TIMEOUT_MS = 2000;
const RESTART_DELAY_MS = 1000;

export async function runPrimary(options: ProxyOptions): Promise<void> {
  const { logger } = createLoggers();
  const lifecycle = createLifecycle({ logger, drainTimeoutMs: options.drainTimeoutMs });
  const workers = new Set<Worker>();
  let current: ProxyConfig | undefined;
  let watched: Awaited<ReturnType<typeof watchConfig<typeof anyConfigSchema>>>;
  const { format, notes } = await describeConfigFile(options.config);
  const broadcast = (message: ToWorker) => {
    for (const worker of workers) if (worker.isConnected()) worker.send(message);
  };
  // Faults set through the admin API ride on the file's config and reach the workers as a reload does.
  const reload = (effective: ProxyConfig) => {
    current = effective;
    broadcast({ type: 'proxy:config', config: effective });
  };
  const faults = faultAdmin({ file: () => watched.current, apply: reload, logger });
  try {
    watched = await watchConfig({
      file: options.config,
      schema: anyConfigSchema,
      // Reloads parse in a child process, so a large file never stalls the primary.
      schemaSource: {
        module: new URL('../adapters/index.ts', import.meta.url).href,
        name: 'anyConfigSchema',
      },
      logger,
      apply: (next) => reload(faults.overlay.effective(next)),
    });
  } catch (error) {
    reportStartupError(error, logger);
    process.exit(1);
  }
  for (const note of notes) logger.info({ config_file: options.config }, note);
  const config = watched.current;
  const requestedPort = options.port ?? config.listen.port;
  const requestedTlsPort = config.tls ? (options.tlsPort ?? config.tls.port) : undefined;
  let servingPort: number | undefined;
  const pendingScrapes = new Map<
    number,
    { snapshots: MetricSnapshot[][]; waiting: number; done: () => void }
  >();

  const fork = (): Promise<{ port: number; tlsPort: number | undefined }> => {
    const worker = cluster.fork();
    workers.add(worker);
    return new Promise((resolve) => {
      worker.on('message', (message: unknown) => {
        if (!isMessage<ToPrimary>(message)) return;
        if (message.type === 'proxy:ready') {
          worker.send({
            type: 'proxy:start',
            config: current ?? config,
            // The same port as requested (even 0): node:cluster shares one listener per requested address.
            port: requestedPort,
            host: config.listen.host,
            tlsPort: requestedTlsPort,
            workers: options.workers,
          } satisfies ToWorker);
        } else if (message.type === 'proxy:listening') {
          resolve({ port: message.port, tlsPort: message.tlsPort });
        } else if (message.type === 'proxy:failed' && servingPort === undefined) {
          process.stderr.write(`proxy: ${message.message}\n`);
        } else if (message.type === 'proxy:metrics') collect(message.id, message.metrics);
      });
      worker.on('exit', (code, signal) => {
        workers.delete(worker);
        if (lifecycle.stopping) return;
        if (servingPort === undefined) {
          logger.error({ worker: worker.id, code, signal }, 'a worker failed to start: giving up');
          process.exit(1);
        }
        logger.error({ worker: worker.id, code, signal }, 'worker died; starting another');
        setTimeout(() => void fork(), RESTART_DELAY_MS).unref();
      });
    });
  };

  const collect = (id: number, metrics: MetricSnapshot[]) => {
    const scrape = pendingScrapes.get(id);
    if (!scrape) return;
    scrape.snapshots.push(metrics);
    if (--scrape.waiting === 0) scrape.done();
  };

  let scrapeId = 0;
  const clusterMetrics = async (): Promise<{ body: string; contentType: string }> => {
    const id = ++scrapeId;
    const own = (await registry.getMetricsAsJSON()) as unknown as MetricSnapshot[];
    const snapshots: MetricSnapshot[][] = [own];
    const asked = [...workers].filter((worker) => worker.isConnected());
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, METRICS_TIMEOUT_MS);
      pendingScrapes.set(id, {
        snapshots,
        waiting: asked.length,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      });
      if (asked.length === 0) resolve();
      for (const worker of asked) worker.send({ type: 'proxy:metrics', id } satisfies ToWorker);
    });
    pendingScrapes.delete(id);
    return renderOpenMetrics(mergeSnapshots(snapshots));
  };

  cluster.setupPrimary({ silent: false });
  const ports = await Promise.all(Array.from({ length: options.workers }, () => fork()));
  servingPort = (ports[0] as { port: number }).port;
  const servingTlsPort = ports[0]?.tlsPort;
  if (ports.some(({ port }) => port !== servingPort)) logger.warn({ ports }, 'workers bound different ports');
  let draining = false;
  const serveMetrics = async (_request: unknown, response: import('node:http').ServerResponse) => {
    const { body, contentType } = await clusterMetrics();
    response.writeHead(200, { 'content-type': contentType });
    response.end(body);
  };
  const admin = await startAdminServer({
    port: options.metricsPort ?? config.admin.port,
    host: options.metricsHost ?? config.admin.host,
    logger,
    routes: {
      '/metrics': serveMetrics,
      [config.admin.metricsPath]: serveMetrics,
      '/config': configRoute(() => faults.overlay.effective(watched.current), options.config),
      ...faults.routes,
      '/workers': (_request, response) =>
        sendJson(response, 200, {
          workers: [...workers].map((worker) => ({ id: worker.id, pid: worker.process.pid })),
        }),
    },
    isReady: () => !draining && workers.size > 0,
  });

  lifecycle.onShutdown('stop watching the config', () => {
    watched.close();
    faults.overlay.close();
  });
  lifecycle.onShutdown('drain the workers', (deadline) => {
    draining = true;
    return stopWorkers(workers, deadline, logger);
  });
  lifecycle.onShutdown('close the admin listener', (deadline) => admin.close(deadline));
  logger.info(
    {
      port: servingPort,
      tls_port: servingTlsPort,
      metrics_port: admin.port,
      workers: options.workers,
      routes: config.routes.length,
      config_format: format,
      config_file: options.config,
    },
    'listening',
  );
}

/** Asks every worker to drain and waits for their exits; kills the rest at the deadline. */
async function stopWorkers(workers: Set<Worker>, deadline: number, logger: Logger): Promise<void> {
  const exits = [...workers].map(
    (worker) =>
      new Promise<number>((resolve) => {
        if (worker.isDead()) return resolve(worker.process.exitCode ?? 0);
        worker.once('exit', (code) => resolve(code ?? 1));
        if (worker.isConnected()) worker.send({ type: 'proxy:shutdown' } satisfies ToWorker);
        else worker.process.kill('SIGTERM');
      }),
  );
  const timer = setTimeout(
    () => {
      for (const worker of workers) if (!worker.isDead()) worker.process.kill('SIGKILL');
    },
    Math.max(0, deadline - Date.now() + 1000),
  );
  const codes = await Promise.all(exits);
  clearTimeout(timer);
  const failed = codes.filter((code) => code !== 0).length;
  if (failed > 0) {
    logger.error({ failed }, 'some workers could not drain cleanly');
    throw new Error(`${failed} worker(s) exited with an error`);
  }
}
