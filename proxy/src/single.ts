// One process does everything: config watch, admin listener, serving listener. Used with --workers 1,
// and by each cluster worker for the serving part (see cluster/).
import {
  ConfigError,
  createLifecycle,
  startAdminServer,
  untracedPorts,
  watchConfig,
} from '@sre-stack/runtime';
import { configRoute } from './admin.ts';
import type { ProxyOptions } from './cli.ts';
import { configSchema } from './config/schema.ts';
import { createLoggers } from './loggers.ts';
import { ProxyServer } from './server/proxy-server.ts';

export async function serveSingle(options: ProxyOptions): Promise<void> {
  const { logger, accessLog, flush } = createLoggers();
  const lifecycle = createLifecycle({ logger });
  let proxy: ProxyServer | undefined;
  let watched: Awaited<ReturnType<typeof watchConfig<typeof configSchema>>>;
  try {
    watched = await watchConfig({
      file: options.config,
      schema: configSchema,
      logger,
      apply: (next) => proxy?.apply(next),
    });
  } catch (error) {
    reportStartupError(error, logger);
    process.exit(1);
  }
  const config = watched.current;
  proxy = new ProxyServer(config, { logger, accessLog, workers: 1 });
  const server = proxy;
  const port = await server.listen(options.port ?? config.listen.port, config.listen.host);
  untracedPorts.add(port);
  const admin = await startAdminServer({
    port: options.metricsPort ?? config.admin.port,
    host: config.admin.host,
    logger,
    routes: { '/config': configRoute(() => watched.current, options.config) },
    isReady: () => !server.isDraining,
  });
  lifecycle.onShutdown('stop watching the config', () => watched.close());
  lifecycle.onShutdown('drain requests', (deadline) => server.drain(deadline));
  lifecycle.onShutdown('close upstream pools', () => server.close());
  lifecycle.onShutdown('close the admin listener', () => admin.close());
  lifecycle.onShutdown('flush the access log', flush);
  logger.info(
    { port, metrics_port: admin.port, workers: 1, routes: config.routes.length, config_file: options.config },
    'listening',
  );
}

export function reportStartupError(
  error: unknown,
  logger: { error: (fields: object, message: string) => void },
): void {
  if (error instanceof ConfigError) {
    process.stderr.write(`proxy: invalid config:\n${error.message}\n`);
    logger.error({ issues: error.issues }, 'invalid config: not starting');
  } else {
    process.stderr.write(`proxy: ${(error as Error).message}\n`);
    logger.error({ err: error }, 'cannot start');
  }
}
