// --once: every probe runs one time, now; a table on stdout, the JSON run lines on stderr; exit 1 if
// any probe failed. Actions are not run: a CI check must not change what it checks.
// Imports name the runtime's parts, not its main entry, which would load the metrics library and the
// telemetry API for a run that exports neither. First, before any schema is built: zod set up for a
// single parse.
import '@sre-stack/runtime/one-shot-zod';
import { ConfigError, loadConfigFile } from '@sre-stack/runtime/config';
import { createLifecycle } from '@sre-stack/runtime/lifecycle';
import { createLogger } from '@sre-stack/runtime/logger';
import { toDefinitions } from './config/definitions.ts';
import { probesFileSchema } from './config/schema.ts';
import { Monitor } from './monitor.ts';
import { formatTable } from './reporters/table.ts';
import type { RequestSpec, RunResult } from './types.ts';

const CONCURRENCY = 16;

export async function runOnce(options: { file: string; location: string }): Promise<number> {
  const logger = createLogger({ service: 'prober', destination: process.stderr });
  let definitions: ReturnType<typeof toDefinitions>;
  try {
    definitions = toDefinitions(await loadConfigFile(options.file, probesFileSchema));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`prober: config invalid:\n${error.message}\n`);
    return 2;
  }
  const monitor = new Monitor({ logger, location: options.location });
  const probes = definitions.filter((definition) => definition.kind === 'probe');
  const results: RunResult[] = new Array(probes.length);
  let next = 0;
  const worker = async () => {
    while (next < probes.length) {
      const index = next++;
      const definition = probes[index]!;
      const context = monitor.createHandler(definition);
      results[index] = await context.run(definition.requests[0] as RequestSpec, monitor.clock.now());
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, probes.length) }, worker));
  process.stdout.write(`${formatTable(results)}\n`);
  const failed = results.some((result) => !result.success);
  await createLifecycle({ logger, exit: false, drainTimeoutMs: 2000 }).shutdown('--once finished');
  return failed ? 1 : 0;
}
