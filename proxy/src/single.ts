// One process does everything: config watch, admin listener, serving listeners (plain and TLS). Used
// with --workers 1, by rgate, and by each cluster worker for the serving part (see cluster/).
import {
  ConfigError,
  createLifecycle,
  registry,
  sendMetrics,
  startAdminServer,
  untracedPorts,
  watchConfig,
} from '@sre-stack/runtime';
import { anyConfigSchema, describeConfigFile } from './adapters/index.ts';
import { configRoute } from './admin.ts';
import type { ProxyOptions } from './cli.ts';
import { createLoggers } from './loggers.ts';
import { faultAdmin } from './policies/fault/admin.ts';
import { ProxyServer } from './server/proxy-server.ts';

export async function serveSingle(
  options: ProxyOptions,
  flavor: 'proxy' | 'rgate' = 'proxy',
  oneProcessNote?: string,
): Promise<void> {
  const { logger, accessLog, flush } = createLoggers(flavor);
  const lifecycle = createLifecycle({ logger, drainTimeoutMs: options.drainTimeoutMs });
  let proxy: ProxyServer | undefined;
  let watched: Awaited<ReturnType<typeof watchConfig<typeof anyConfigSchema>>>;
  const { format, notes } = await describeConfigFile(options.config);
  // Faults set through the admin API ride on the file's config and are applied like a reload.
  const faults = faultAdmin({ file: () => watched.current, apply: (next) => proxy?.apply(next), logger });
  try {
    watched = await watchConfig({
      file: options.config,
      schema: anyConfigSchema,
      // Reloads parse in a child process, so a large file never stalls serving.
      schemaSource: { module: new URL('./adapters/index.ts', import.meta.url).href, name: 'anyConfigSchema' },
      logger,
      apply: (next) => proxy?.apply(faults.overlay.effective(next)),
    });
  } catch (error) {
    reportStartupError(error, logger, flavor);
    process.exit(1);
  }
  for (const note of notes) logger.info({ config_file: options.config }, note);
  if (oneProcessNote) logger.info({ reason: oneProcessNote }, 'serving in one process');
  const config = watched.current;
  let server: ProxyServer;
  let port: number;
  let tlsPort: number | undefined;
  try {
    server = new ProxyServer(config, { logger, accessLog, workers: 1 });
    proxy = server;
    // Discovered groups have their first targets before the first request.
    await server.ready();
    port = await server.listen(options.port ?? config.listen.port, config.listen.host);
    if (config.tls) {
      tlsPort = await server.listenTls(
        options.tlsPort ?? config.tls.port,
        config.tls.host ?? config.listen.host,
      );
      untracedPorts.add(tlsPort);
    }
  } catch (error) {
    reportStartupError(error, logger, flavor);
    process.exit(1);
  }
  untracedPorts.add(port);
  const admin = await startAdminServer({
    port: options.metricsPort ?? config.admin.port,
    host: options.metricsHost ?? config.admin.host,
    logger,
    routes: {
      '/config': configRoute(() => faults.overlay.effective(watched.current), options.config),
      ...faults.routes,
      [config.admin.metricsPath]: (_request, response) => sendMetrics(registry, response),
    },
    isReady: () => !server.isDraining,
  });
  lifecycle.onShutdown('stop watching the config', () => {
    watched.close();
    faults.overlay.close();
  });
  lifecycle.onShutdown('drain requests', (deadline) => server.drain(deadline));
  lifecycle.onShutdown('close upstream pools', () => server.close());
  lifecycle.onShutdown('close the admin listener', (deadline) => admin.close(deadline));
  lifecycle.onShutdown('flush the access log', flush);
  logger.info(
    {
      port,
      tls_port: tlsPort,
      metrics_port: admin.port,
      metrics_path: config.admin.metricsPath,
      workers: 1,
      routes: config.routes.length,
      config_file: options.config,
      config_format: format,
    },
    'listening',
  );
}

export function reportStartupError(
  error: unknown,
  logger: { error: (fields: object, message: string) => void },
  name = 'proxy',
): void {
  if (error instanceof ConfigError) {
    process.stderr.write(`${name}: invalid config:\n${error.message}\n`);
    logger.error({ issues: error.issues }, 'invalid config: not starting');
  } else {
    process.stderr.write(`${name}: ${(error as Error).message}\n`);
    logger.error({ err: error }, 'cannot start');
  }
}
