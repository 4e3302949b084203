// The reload parse, off the serving thread. YAML parsing of a large file is synchronous and takes
// hundreds of milliseconds per MiB; run on the main thread it would stall every request for that long.
// A worker imports the service's schema module itself (schemas hold functions, which cannot be sent),
// parses and validates, and posts back plain data or the located issues.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { ZodType, z } from 'zod';
import type { ConfigLimits } from './limits.ts';
import { ConfigError, type ConfigIssue, type ParseOptions, parseConfigText } from './load.ts';
import { markSubstituted, substitutedValues } from './substitute.ts';

/** Where a worker finds the schema: a module URL (import.meta.url based) and the export's name. */
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

/** A worker that has not answered by then is stopped, and the reload refused. */
const PARSE_TIMEOUT_MS = 60_000;
/** A hostile file may not make a worker hold gigabytes (the main thread's heap is not touched). */
const WORKER_HEAP_MB = 512;

export function parseInWorker<S extends ZodType>(
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
    const worker = new Worker(new URL(import.meta.url), {
      workerData: request,
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
      // The worker needs no stdin, and its output would only be noise on the service's log stream.
      stdout: true,
      stderr: true,
    });
    const fail = (message: string) =>
      reject(new ConfigError([{ file, line: 1, column: 1, path: '', message }]));
    const timer = setTimeout(() => {
      void worker.terminate();
      fail(`parsing took longer than ${PARSE_TIMEOUT_MS / 1000} s`);
    }, PARSE_TIMEOUT_MS);
    worker.once('message', (reply: Reply) => {
      clearTimeout(timer);
      void worker.terminate();
      if (!reply.ok) return reject(new ConfigError(reply.issues));
      markSubstituted(reply.data, new Set(reply.substituted));
      resolve(reply.data as z.output<S>);
    });
    worker.once('error', (error) => {
      clearTimeout(timer);
      fail(error.message.split('\n')[0] ?? 'the parse failed');
    });
    worker.once('exit', (code) => {
      clearTimeout(timer);
      fail(`the parse stopped (exit code ${code})`);
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

if (!isMainThread && (workerData as Request | undefined)?.source) {
  parentPort?.postMessage(await serve(workerData as Request));
}
