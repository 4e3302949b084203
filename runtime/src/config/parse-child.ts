// The reload parse, off the serving thread. YAML parsing of a large file is synchronous and takes
// hundreds of milliseconds per MiB; run on the main thread it would stall every request for that long.
// A child process imports the service's schema module itself (schemas hold functions, which cannot be
// sent), parses and validates, and sends back plain data or the located issues. A process rather than a
// worker thread: a worker would share the telemetry's module hooks, which deadlock its imports, and a
// process's memory is bounded and given back in full when it exits.
import { fork } from 'node:child_process';
import type { ZodType, z } from 'zod';
import type { ConfigLimits } from './limits.ts';
import { ConfigError, type ConfigIssue, type ParseOptions, parseConfigText } from './load.ts';
import { markSubstituted, substitutedValues } from './substitute.ts';

/** Where the parse finds the schema: a module URL (import.meta.url based) and the export's name. */
export interface SchemaSource {
  module: string;
  name: string;
}

interface Request {
  text: string;
  file: string;
  source: SchemaSource;
  env?: Record<string, string | undefined>;
  baseDir?: string;
  limits?: ConfigLimits;
}

type Reply = { ok: true; data: unknown; substituted: string[] } | { ok: false; issues: ConfigIssue[] };

/** A parse that has not answered by then is stopped, and the reload refused. */
const PARSE_TIMEOUT_MS = 60_000;
/** A hostile file may not make the parse hold gigabytes (the service's own heap is not touched). */
const WORKER_HEAP_MB = 512;
const START_UP_HEAP = new URL('../start-up-heap.mjs', import.meta.url).href;
/** Marks the child, so that importing this module elsewhere never starts serving a parse. */
const CHILD_ENV = 'SRE_STACK_CONFIG_PARSE_CHILD';

export function parseInChildProcess<S extends ZodType>(
  text: string,
  file: string,
  source: SchemaSource,
  options: ParseOptions = {},
): Promise<z.output<S>> {
  const request: Request = {
    text,
    file,
    source,
    env: options.env,
    baseDir: options.baseDir,
    limits: options.limits,
  };
  return new Promise((resolve, reject) => {
    const child = fork(new URL(import.meta.url), [], {
      env: { ...process.env, [CHILD_ENV]: '1' },
      // The heap flags of every start first, so that the modules the child loads (yaml, zod, the
      // schema) use the service's own compile-cache entries rather than compile and rewrite them.
      execArgv: [`--max-old-space-size=${WORKER_HEAP_MB}`, '--import', START_UP_HEAP],
      // Structured clone, as between threads: what the schema produced arrives as it was.
      serialization: 'advanced',
      // Its output would only be noise on the service's log stream.
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    const fail = (message: string) =>
      reject(new ConfigError([{ file, line: 1, column: 1, path: '', message }]));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(`parsing took longer than ${PARSE_TIMEOUT_MS / 1000} s`);
    }, PARSE_TIMEOUT_MS);
    child.on('message', (reply: Reply | 'ready') => {
      // Sent once the child listens: a message sent before that could be lost.
      if (reply === 'ready') return void child.send(request);
      clearTimeout(timer);
      child.kill();
      if (!reply.ok) return reject(new ConfigError(reply.issues));
      markSubstituted(reply.data, new Set(reply.substituted));
      resolve(reply.data as z.output<S>);
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      fail(error.message.split('\n')[0] ?? 'the parse failed');
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      fail(`the parse stopped (${signal ?? `exit code ${code}`})`);
    });
  });
}

async function serve(request: Request): Promise<Reply> {
  try {
    const module = (await import(request.source.module)) as Record<string, ZodType>;
    const schema = module[request.source.name];
    if (!schema) throw new Error(`${request.source.module} exports no ${request.source.name}`);
    const data = parseConfigText(request.text, request.file, schema, {
      ...(request.env ? { env: request.env } : {}),
      ...(request.baseDir ? { baseDir: request.baseDir } : {}),
      ...(request.limits ? { limits: request.limits } : {}),
    });
    return { ok: true, data, substituted: [...substitutedValues(data)] };
  } catch (error) {
    if (error instanceof ConfigError) return { ok: false, issues: error.issues };
    const message = (error as Error).message.split('\n')[0] ?? String(error);
    return { ok: false, issues: [{ file: request.file, line: 1, column: 1, path: '', message }] };
  }
}

if (process.env[CHILD_ENV] === '1' && process.send) {
  process.once('message', async (request: Request) => {
    process.send?.(await serve(request), () => process.disconnect());
  });
  process.send('ready');
}
