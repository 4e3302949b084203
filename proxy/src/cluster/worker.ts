// A cluster worker: serves requests on the listener the primary shares, with the config the primary
// sends (it alone watches the file), and answers the primary's metrics requests.
import { createLifecycle, parseDuration, registry, untracedPorts } from '@sre-stack/runtime';
import { createLoggers } from '../loggers.ts';
import { ProxyServer } from '../server/proxy-server.ts';
import type { MetricSnapshot } from '../telemetry/lean-metrics.ts';
import { isMessage, type ToPrimary, type ToWorker } from './messages.ts';

export function runWorker(): Promise<void> {
  const { logger, accessLog, flush } = createLoggers();
  // The primary's --drain-timeout, passed down in the environment (see cli.ts).
  const drainTimeoutMs = parseDuration(process.env.PROXY_DRAIN_TIMEOUT ?? '');
  const lifecycle = createLifecycle({ logger, ...(drainTimeoutMs === undefined ? {} : { drainTimeoutMs }) });
  const send = (message: ToPrimary) => process.send?.(message);
  let proxy: ProxyServer | undefined;
  // SIGHUP is for the primary (it reloads); a worker must not die of it.
  process.on('SIGHUP', () => {});
  // The primary gone means nobody to report to: drain and stop.
  process.on('disconnect', () => void lifecycle.shutdown('primary gone'));

  return new Promise((resolve) => {
    process.on('message', async (message: unknown) => {
      if (!isMessage<ToWorker>(message)) return;
      switch (message.type) {
        case 'proxy:start': {
          proxy = new ProxyServer(message.config, { logger, accessLog, workers: message.workers });
          const server = proxy;
          let port: number;
          let tlsPort: number | undefined;
          try {
            port = await server.listen(message.port, message.host);
            const tls = message.config.tls;
            if (tls && message.tlsPort !== undefined) {
              tlsPort = await server.listenTls(message.tlsPort, tls.host ?? message.host);
              untracedPorts.add(tlsPort);
            }
          } catch (error) {
            logger.error({ err: error }, 'worker cannot listen');
            send({ type: 'proxy:failed', message: (error as Error).message });
            process.exit(1);
          }
          untracedPorts.add(port);
          lifecycle.onShutdown('drain requests', (deadline) => server.drain(deadline));
          lifecycle.onShutdown('close upstream pools', () => server.close());
          lifecycle.onShutdown('flush the access log', flush);
          send({ type: 'proxy:listening', port, tlsPort });
          resolve();
          return;
        }
        case 'proxy:config':
          try {
            await proxy?.apply(message.config);
          } catch (error) {
            logger.error({ err: error }, 'worker could not apply the new config; keeping the old one');
            send({ type: 'proxy:config-failed', message: (error as Error).message });
          }
          return;
        case 'proxy:metrics':
          send({
            type: 'proxy:metrics',
            id: message.id,
            metrics: (await registry.getMetricsAsJSON()) as unknown as MetricSnapshot[],
          });
          return;
        case 'proxy:shutdown':
          void lifecycle.shutdown('primary asked');
          return;
      }
    });
    send({ type: 'proxy:ready' });
  });
}
