// The command line, importable on its own ('@sre-stack/runtime/cli'): a bin reads its flags and answers
// --help, --check or --once before it loads telemetry, the logger or the metrics registry.
// First of all: an older Node gets one line saying what to do, not a stack trace from deep inside a module.
import './node-version.mjs';
import { MAX_DURATION_MS, parseDuration } from './config/parse-duration.ts';
import type { HeapSettings } from './heap.ts';
import type { TelemetryState } from './telemetry/state.ts';

// Not an ES import: node:util's module facade reads every export, and its lazy ones load the stream,
// worker and diff modules, some 30 of Node's own, into every --help and --check.
const { parseArgs } = process.getBuiltinModule('node:util');

export { formatDuration, parseDuration } from './config/parse-duration.ts';
export type { HeapSettings } from './heap.ts';

export interface CliOption {
  type: 'string' | 'boolean';
  description: string;
  short?: string;
  /** The environment variable that sets it when the flag is absent. */
  env?: string;
  default?: string;
  /** Shown in help, e.g. PORT or FILE. */
  valueName?: string;
}

export interface CliSpec<O extends Record<string, CliOption>> {
  name: string;
  summary: string;
  usage: string;
  options: O;
  /** Extra help text: examples, environment. */
  footer?: string;
  argv?: string[];
}

export type CliValues<O extends Record<string, CliOption>> = {
  [K in keyof O]: O[K]['type'] extends 'boolean' ? boolean : string | undefined;
};

export class CliError extends Error {}

export function formatHelp(spec: CliSpec<Record<string, CliOption>>): string {
  const rows = Object.entries({
    ...spec.options,
    help: { type: 'boolean', description: 'show this help' } as CliOption,
  }).map(([name, option]) => {
    const flag = `${option.short ? `-${option.short}, ` : ''}--${name}${option.type === 'string' ? ` ${option.valueName ?? 'VALUE'}` : ''}`;
    const extras = [
      option.env && `env ${option.env}`,
      option.default !== undefined && `default ${option.default}`,
    ]
      .filter(Boolean)
      .join(', ');
    return `  ${flag.padEnd(28)} ${option.description}${extras ? ` (${extras})` : ''}`;
  });
  return [
    `${spec.name} - ${spec.summary}`,
    '',
    `Usage: ${spec.usage}`,
    '',
    'Options:',
    ...rows,
    spec.footer ? `\n${spec.footer}` : '',
  ]
    .join('\n')
    .trimEnd();
}

/** Parses flags, falls back to environment variables, then defaults. Throws CliError on bad input. */
export function parseCliArgs<O extends Record<string, CliOption>>(
  spec: CliSpec<O>,
): CliValues<O> & { help: boolean } {
  const parseOptions: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  // parseArgs rejects `short: undefined`, so the key is only set when there is a short flag.
  for (const [name, option] of Object.entries(spec.options))
    parseOptions[name] = option.short ? { type: option.type, short: option.short } : { type: option.type };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: spec.argv ?? process.argv.slice(2),
      options: parseOptions,
      allowPositionals: false,
      strict: true,
    }));
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  const result: Record<string, string | boolean | undefined> = { help: values.help === true };
  for (const [name, option] of Object.entries(spec.options)) {
    let value = values[name];
    if (
      value === undefined &&
      option.env &&
      process.env[option.env] !== undefined &&
      process.env[option.env] !== ''
    ) {
      const fromEnv = process.env[option.env] as string;
      value = option.type === 'boolean' ? /^(1|true|yes|on)$/i.test(fromEnv) : fromEnv;
    }
    if (value === undefined) value = option.type === 'boolean' ? false : option.default;
    result[name] = value;
  }
  return result as CliValues<O> & { help: boolean };
}

/** Runs the CLI parse with the conventions every bin shares: --help exits 0, a usage error exits 2. */
export function cli<O extends Record<string, CliOption>>(spec: CliSpec<O>): CliValues<O> {
  try {
    const values = parseCliArgs(spec);
    if (values.help) {
      process.stdout.write(`${formatHelp(spec as CliSpec<Record<string, CliOption>>)}\n`);
      process.exit(0);
    }
    return values;
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    process.stderr.write(`${spec.name}: ${error.message}\nTry '${spec.name} --help'.\n`);
    process.exit(2);
  }
}

/** A TCP port from a flag or variable; 0 asks the OS for a free one (used by tests). */
export function parsePort(value: string | undefined, what: string): number {
  const port = Number(value);
  if (value === undefined || !/^\d+$/.test(value) || port > 65535) {
    throw new CliError(`${what} must be a port number from 0 to 65535, got "${value}"`);
  }
  return port;
}

/**
 * Starts telemetry: the SDK, the enabled instrumentations and their loader hook. A service calls it once
 * its command line is read, and only then imports the code that serves (node:http, undici, pino), so
 * that the instrumentations are in place before those load.
 */
export async function loadTelemetry(heap?: HeapSettings): Promise<TelemetryState> {
  // The heap settings first: the bootstrap applies the defaults, and the first call wins.
  if (heap !== undefined) (await import('./heap.ts')).keepHeapCompact(heap);
  return (await import('./telemetry.ts')).telemetry;
}

/**
 * loadTelemetry for a service whose bin imports the zod-locales hook (zod-locales.ts): zod first, which
 * such a service needs anyway, because the hook goes only once zod has loaded and would otherwise slow
 * each require() of the SDK's.
 */
export async function loadTelemetryAfterZod(heap?: HeapSettings): Promise<TelemetryState> {
  await import('zod');
  return loadTelemetry(heap);
}

/** A duration from a flag or variable ("5s", "500ms"), in milliseconds. */
export function parseDurationOption(value: string | undefined, what: string): number {
  const ms = parseDuration(value ?? '');
  if (ms === undefined)
    throw new CliError(`${what} must be a duration such as "5s" or "500ms", got "${value}"`);
  // A timer fires at once above this (see MAX_DURATION_MS): a drain bound of 900h would be none.
  if (ms > MAX_DURATION_MS) throw new CliError(`${what} must be at most 596h, got "${value}"`);
  return ms;
}

/**
 * The address the admin/metrics listener binds. All interfaces by default, as Prometheus exporters do:
 * a scraper in another container or pod must reach it. Nothing secret is served there (/config and
 * /probes redact); set 127.0.0.1 to keep it on the host. An empty value means the default.
 */
export function metricsHostOption(env: string): CliOption {
  return {
    type: 'string',
    description:
      'address the admin/metrics listener binds (default all interfaces; 127.0.0.1 keeps it local)',
    env,
    valueName: 'ADDRESS',
  };
}
