// The main thread of a proxy with several worker threads. It watches the config and reloads it in every
// worker or in none (prepare everywhere, then commit or abort), owns the admin listener (with the
// workers' metrics merged, see aggregate.ts), owns the shared state the policies count in, restarts a
// worker that dies, and on SIGTERM has every worker drain before it exits. It serves no traffic itself:
// each worker listens on the same port with SO_REUSEPORT and the kernel spreads connections over them.
//
// Why threads and not processes: the breaker, rate limit and retry budget must hold one count for the
// whole proxy. Threads of one process can share memory (a SharedArrayBuffer updated under Atomics
// locks, about 0.2 us per update); separate processes would need a round trip to a state owner for
// every decision (about 47 us for a node:cluster IPC round trip, measured here), and memory per worker
// is lower too (one process, one copy of the code).
import { Worker } from 'node:worker_threads';
import {
  createLifecycle,
  type Logger,
  registry,
  sendJson,
  startAdminServer,
  watchConfig,
} from '@sre-stack/runtime';
import { LeanCounter, type MetricSnapshot } from '@sre-stack/runtime/lean-metrics';
import { anyConfigSchema, describeConfigFile } from '../adapters/index.ts';
import { configRoute } from '../admin.ts';
import type { ProxyOptions } from '../cli.ts';
import type { ProxyConfig } from '../config/schema.ts';
import { PROXY_HEAP } from '../heap.ts';
import { createLoggers } from '../loggers.ts';
import { faultAdmin } from '../policies/fault/admin.ts';
import { reportStartupError } from '../single.ts';
import { keySlotsFor } from '../state/sizing.ts';
import { SharedState } from '../state/state.ts';
import { mergeSnapshots, renderOpenMetrics } from './aggregate.ts';
import { isMessage, type ToPrimary, type ToWorker, type WorkerStart } from './messages.ts';

const METRICS_TIMEOUT_MS = 2000;
const PREPARE_TIMEOUT_MS = 10_000;
const RESTART_DELAY_MS = 1000;
const THREAD_ENTRY = new URL('./thread.ts', import.meta.url);

const refusals = new LeanCounter(
  'proxy_config_reload_refusals_total',
  'Reloads refused because a worker thread could not apply the new config (every worker kept the old one), by worker.',
  ['worker'],
);

interface Slot {
  index: number;
  thread: Worker | undefined;
}

export async function runPrimary(options: ProxyOptions): Promise<void> {
  const { logger } = createLoggers();
  const lifecycle = createLifecycle({ logger, drainTimeoutMs: options.drainTimeoutMs });
  const slots: Slot[] = Array.from({ length: options.workers }, (_, index) => ({ index, thread: undefined }));
  const { format, notes } = await describeConfigFile(options.config);
  let servingPort: number | undefined;
  let servingTlsPort: number | undefined;
  let shared: SharedState | undefined;
  let requestId = 0;
  const replies = new Map<number, { waiting: number; onReply: (index: number, reply: ToPrimary) => void }>();

  const live = () => slots.filter((slot): slot is Slot & { thread: Worker } => slot.thread !== undefined);
  const onReply = (index: number, message: ToPrimary) => {
    if (!('id' in message)) return;
    replies.get(message.id)?.onReply(index, message);
  };

  /** Sends a request to every live worker and collects their replies (until the timeout). */
  const ask = <R extends ToPrimary>(
    make: (id: number) => ToWorker,
    timeoutMs: number,
  ): Promise<{ id: number; replies: Map<number, R>; asked: number[] }> => {
    const id = ++requestId;
    const asked = live();
    const collected = new Map<number, R>();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        replies.delete(id);
        resolve({ id, replies: collected, asked: asked.map((slot) => slot.index) });
      };
      const timer = setTimeout(done, timeoutMs);
      replies.set(id, {
        waiting: asked.length,
        onReply: (index, reply) => {
          collected.set(index, reply as R);
          if (collected.size === asked.length) done();
        },
      });
      if (asked.length === 0) done();
      for (const slot of asked) slot.thread.postMessage(make(id));
    });
  };

  /** A reload: applied by every worker or by none. Throws (the old config stays) when one refuses. */
  const reload = async (next: ProxyConfig): Promise<void> => {
    // The request's own id: a metrics scrape may have asked something else meanwhile.
    const {
      id,
      replies: answers,
      asked,
    } = await ask<Extract<ToPrimary, { type: 'proxy:prepared' }>>(
      (request) => ({ type: 'proxy:prepare', id: request, config: next }),
      PREPARE_TIMEOUT_MS,
    );
    const refused = asked.filter((index) => answers.get(index)?.ok !== true);
    if (refused.length === 0) {
      for (const slot of live()) slot.thread.postMessage({ type: 'proxy:commit', id } satisfies ToWorker);
      return;
    }
    for (const slot of live()) slot.thread.postMessage({ type: 'proxy:abort', id } satisfies ToWorker);
    for (const index of refused) refusals.child(String(index)).inc();
    const reasons = refused.map(
      (index) => `worker ${index}: ${answers.get(index)?.message ?? 'no answer in time'}`,
    );
    logger.error({ refused_by: refused, reasons }, 'a worker refused the new config; no worker applied it');
    throw new Error(`not applied by every worker (${reasons.join('; ')})`);
  };

  let watched: Awaited<ReturnType<typeof watchConfig<typeof anyConfigSchema>>>;
  // Faults set through the admin API ride on the file's config and reach the workers as a reload does.
  const faults = faultAdmin({ file: () => watched.current, apply: reload, logger });
  try {
    watched = await watchConfig({
      file: options.config,
      schema: anyConfigSchema,
      // Reloads parse in a child process, so a large file never stalls the main thread.
      schemaSource: {
        module: new URL('../adapters/index.ts', import.meta.url).href,
        name: 'anyConfigSchema',
      },
      logger,
      // The first load only sets the config the workers start with.
      apply: (next, previous) =>
        previous === undefined ? undefined : reload(faults.overlay.effective(next)),
    });
  } catch (error) {
    reportStartupError(error, logger);
    process.exit(1);
  }
  for (const note of notes) logger.info({ config_file: options.config }, note);
  const config = watched.current;
  shared = SharedState.create({ keySlots: keySlotsFor(config) });

  /** Starts a worker thread; `listenAt` says where once it has loaded (the first one's port for the rest). */
  const start = (
    slot: Slot,
    listenAt: () => Promise<{ port: number; tlsPort: number | undefined }>,
  ): Promise<{ port: number; tlsPort: number | undefined }> =>
    new Promise((resolve, reject) => {
      const data: WorkerStart = {
        index: slot.index,
        // A restarted worker gets the faults in force too.
        config: faults.overlay.effective(watched.current),
        workers: options.workers,
        shared: (shared as SharedState).buffers,
      };
      const thread = new Worker(THREAD_ENTRY, {
        workerData: data,
        resourceLimits: { maxYoungGenerationSizeMb: PROXY_HEAP.youngGenerationCapMiB },
      });
      slot.thread = thread;
      thread.on('message', (message: unknown) => {
        if (!isMessage<ToPrimary>(message)) return;
        if (message.type === 'proxy:loaded') {
          listenAt().then(({ port, tlsPort }) => {
            thread.postMessage({
              type: 'proxy:listen',
              port,
              host: watched.current.listen.host,
              tlsPort: watched.current.tls ? tlsPort : undefined,
            } satisfies ToWorker);
          }, reject);
        } else if (message.type === 'proxy:listening')
          resolve({ port: message.port, tlsPort: message.tlsPort });
        else if (message.type === 'proxy:failed') reject(new Error(message.message));
        else onReply(slot.index, message);
      });
      thread.on('error', (error) => {
        logger.error({ worker: slot.index, err: error }, 'worker thread failed');
        reject(error);
      });
      thread.on('exit', (code) => {
        if (slot.thread === thread) slot.thread = undefined;
        if (lifecycle.stopping || servingPort === undefined) return;
        logger.error({ worker: slot.index, code }, 'worker thread exited; starting another');
        const bound = { port: servingPort, tlsPort: servingTlsPort };
        setTimeout(() => {
          if (!lifecycle.stopping) start(slot, () => Promise.resolve(bound)).catch(() => {});
        }, RESTART_DELAY_MS).unref();
      });
    });

  const requestedPort = options.port ?? config.listen.port;
  const requestedTlsPort = config.tls ? (options.tlsPort ?? config.tls.port) : undefined;
  try {
    // Every worker loads at once; the first to be ready binds (port 0 picks one), the others join it.
    let firstBound: Promise<{ port: number; tlsPort: number | undefined }> | undefined;
    let binding: Promise<{ port: number; tlsPort: number | undefined }> | undefined;
    const listenAt = (own: () => Promise<{ port: number; tlsPort: number | undefined }>) => () => {
      if (binding === undefined) {
        binding = Promise.resolve({ port: requestedPort, tlsPort: requestedTlsPort });
        firstBound = own();
        return binding;
      }
      return firstBound as Promise<{ port: number; tlsPort: number | undefined }>;
    };
    const started = slots.map((slot) => {
      let self: Promise<{ port: number; tlsPort: number | undefined }>;
      self = start(
        slot,
        listenAt(() => self),
      );
      return self;
    });
    const bound = await Promise.all(started);
    servingPort = (bound[0] as { port: number }).port;
    servingTlsPort = bound[0]?.tlsPort;
  } catch (error) {
    reportStartupError(error, logger);
    for (const slot of live()) void slot.thread.terminate();
    process.exit(1);
  }

  const clusterMetrics = async (): Promise<{ body: string; contentType: string }> => {
    const own = (await registry.getMetricsAsJSON()) as unknown as MetricSnapshot[];
    const { replies: answers } = await ask<Extract<ToPrimary, { type: 'proxy:metrics' }>>(
      (id) => ({ type: 'proxy:metrics', id }),
      METRICS_TIMEOUT_MS,
    );
    const snapshots = [own, ...[...answers.values()].map((answer) => answer.metrics)];
    return renderOpenMetrics(mergeSnapshots(snapshots));
  };

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
          model: 'worker threads in one process, listening with SO_REUSEPORT, policy state in shared memory',
          workers: slots.map((slot) => ({
            index: slot.index,
            thread_id: slot.thread?.threadId ?? null,
            running: slot.thread !== undefined,
          })),
        }),
    },
    isReady: () => !draining && live().length > 0,
  });

  lifecycle.onShutdown('stop watching the config', () => {
    watched.close();
    faults.overlay.close();
  });
  lifecycle.onShutdown('drain the workers', (deadline) => {
    draining = true;
    // The threads themselves, not their slots: a worker that exits while draining clears its slot.
    return stopWorkers(
      live().map((slot) => slot.thread),
      deadline,
      logger,
    );
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

/** Asks every worker to drain and waits for them to stop; terminates the rest at the deadline. */
async function stopWorkers(threads: readonly Worker[], deadline: number, logger: Logger): Promise<void> {
  const results = threads.map(
    (thread) =>
      new Promise<boolean>((resolve) => {
        thread.on('message', (message: unknown) => {
          if (isMessage<ToPrimary>(message) && message.type === 'proxy:stopped') resolve(message.ok);
        });
        thread.once('exit', () => resolve(false));
        thread.postMessage({ type: 'proxy:shutdown', deadline } satisfies ToWorker);
      }),
  );
  const timer = setTimeout(
    () => {
      for (const thread of threads) void thread.terminate();
    },
    Math.max(0, deadline - Date.now() + 1000),
  );
  const oks = await Promise.all(results);
  clearTimeout(timer);
  await Promise.all(threads.map((thread) => thread.terminate()));
  const failed = oks.filter((ok) => !ok).length;
  if (failed > 0) {
    logger.error({ failed }, 'some workers could not drain cleanly');
    throw new Error(`${failed} worker(s) did not drain cleanly`);
  }
}
