// Only the command line is imported up front: --help answers without the SDK. Telemetry starts next, and
// everything that serves is imported after it (see loadTelemetry).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger, WatchedConfig } from '@sre-stack/runtime';
import { loadTelemetry } from '@sre-stack/runtime/cli';
import type { ChangeSource, Chaos } from './chaos.ts';
import type { ChaosProfileDocument } from './profile.ts';
import { readSettings } from './settings.ts';

export function applyProfileDocument(
  chaos: Chaos,
  document: ChaosProfileDocument,
  source: ChangeSource,
): void {
  chaos.setProfile(document.profile, source);
  if (document.enabled !== undefined) chaos.setFlaky(document.enabled, source);
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const settings = readSettings(argv);
  const telemetry = await loadTelemetry();
  const [
    {
      createLifecycle,
      createLogger,
      drainHttpServer,
      LISTENER_LIMITS,
      refuseTunnels,
      startAdminServer,
      watchConfig,
    },
    { createRequestHandler },
    { createChaos },
    { countChaosChange, exportChaosState, initChaosMetrics },
  ] = await Promise.all([
    import('@sre-stack/runtime'),
    import('./app.ts'),
    import('./chaos.ts'),
    import('./metrics.ts'),
  ]);
  const logger = createLogger({ service: 'flaky-server' });
  const lifecycle = createLifecycle({ logger, drainTimeoutMs: settings.drainTimeoutMs });
  const chaos = createChaos({ random: Math.random });

  let config: WatchedConfig<ChaosProfileDocument> | undefined;
  if (settings.configFile) {
    try {
      // The schema, zod and yaml load only with a file to read (chaos-profile.ts).
      const { chaosProfileSchema } = await import('./profile.ts');
      config = await watchConfig({
        file: settings.configFile,
        schema: chaosProfileSchema,
        // Reloads parse in a child process, so a large file never stalls serving.
        schemaSource: { module: new URL('./profile.ts', import.meta.url).href, name: 'chaosProfileSchema' },
        logger,
        apply: (document) => applyProfileDocument(chaos, document, 'config'),
      });
    } catch (error) {
      fail(logger, error, 'cannot load the config');
    }
  }
  // Registered after the first load: starting up with a file is not a change worth counting.
  initChaosMetrics(chaos.snapshot);
  chaos.onChange((state, change, source) => {
    exportChaosState(state);
    countChaosChange(change, source);
    const pinnedUntil =
      state.pinnedUntil === undefined ? undefined : new Date(state.pinnedUntil).toISOString();
    logger.info(
      { change, source, flaky: state.flaky, status_code: state.statusCode, pinned_until: pinnedUntil },
      'chaos state changed',
    );
  });

  const stopWaiting = new AbortController();
  // Not import('node:http'): its module facade would load Node's internal undici (admin-server.ts).
  const { createServer } = process.getBuiltinModule('node:http');
  const server = createServer(
    // optimizeEmptyRequests: a request without Content-Length or Transfer-Encoding has no body, and
    // Node then skips its stream events; the body reader answers such a request at once (http/body.ts).
    { ...LISTENER_LIMITS, optimizeEmptyRequests: true },
    createRequestHandler({
      chaos,
      logger,
      adminToken: settings.adminToken,
      stopWaiting: stopWaiting.signal,
      logsExported: telemetry.logsExported,
    }),
  );
  refuseTunnels(server);
  let port: number;
  let admin: Awaited<ReturnType<typeof startAdminServer>>;
  try {
    port = await listen(server, settings.port, settings.host);
    admin = await startAdminServer({
      port: settings.metricsPort,
      host: settings.metricsHost,
      logger,
      isReady: () => server.listening && !lifecycle.stopping,
    });
  } catch (error) {
    fail(logger, error, 'cannot listen');
  }

  lifecycle.onShutdown('config watcher', () => config?.close());
  lifecycle.onShutdown('http server', async (deadline) => {
    // Injected delays end a little before the deadline, so sleeping requests are answered, not cut.
    const margin = Math.min(1000, settings.drainTimeoutMs / 2);
    const timer = setTimeout(() => stopWaiting.abort(), Math.max(0, deadline - Date.now() - margin));
    try {
      await drainHttpServer(server, deadline);
    } finally {
      clearTimeout(timer);
    }
  });
  lifecycle.onShutdown('metrics server', (deadline) => admin.close(deadline));

  logger.info(
    {
      port,
      metrics_port: admin.port,
      host: settings.host,
      config_file: settings.configFile,
      admin_token: settings.adminToken !== undefined,
      flaky: chaos.snapshot.flaky,
    },
    'listening',
  );
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function fail(logger: Logger, error: unknown, what: string): never {
  // A ConfigError (checked by shape: its class is loaded lazily) lists every problem in the file.
  const issues = (error as { issues?: unknown[] } | undefined)?.issues;
  logger.fatal({ err: issues ? undefined : error, issues }, `${what}: ${(error as Error).message}`);
  logger.flush?.();
  process.exit(1);
}
