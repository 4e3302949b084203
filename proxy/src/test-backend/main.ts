// test-backend --config FILE: reads a config in any format the proxy reads and serves every target
// address in it (see server.ts). Logs one "listening" line with every address, then one line per request.
import { parseArgs } from 'node:util';
import { ConfigError, createLifecycle, createLogger, loadConfigFile } from '@sre-stack/runtime';
import { anyConfigSchema } from '../adapters/index.ts';
import { backendAddresses } from './addresses.ts';
import { closeAll, listenAll } from './server.ts';

const HELP = `test-backend - listens on every target address of a proxy config; each answers with its address

Usage: test-backend --config FILE

Each address answers "service: NAME, addr: HOST:PORT". ?status=N answers status N, ?delay=MS waits first.`;

export async function main(argv = process.argv.slice(2)): Promise<void> {
  let values: { config?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`test-backend: ${(error as Error).message}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const file = values.config ?? process.env.PROXY_CONFIG ?? 'config.yaml';
  const logger = createLogger({ service: 'test-backend' });
  let addresses: ReturnType<typeof backendAddresses>;
  try {
    addresses = backendAddresses(await loadConfigFile(file, anyConfigSchema));
  } catch (error) {
    process.stderr.write(
      `test-backend: ${error instanceof ConfigError ? `invalid config:\n${error.message}` : (error as Error).message}\n`,
    );
    process.exit(1);
  }
  if (addresses.length === 0) {
    process.stderr.write(`test-backend: ${file} names no target addresses\n`);
    process.exit(1);
  }
  let running: Awaited<ReturnType<typeof listenAll>>;
  try {
    running = await listenAll(addresses, logger);
  } catch (error) {
    process.stderr.write(`test-backend: ${(error as Error).message}\n`);
    process.exit(1);
  }
  const lifecycle = createLifecycle({ logger });
  lifecycle.onShutdown('close the listeners', () => closeAll(running));
  logger.info(
    {
      config_file: file,
      addresses: running.map(({ address, port }) => `${address.service} ${address.host}:${port}`),
    },
    'listening',
  );
}
