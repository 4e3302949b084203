// One schema for every format the proxy reads: it detects the format, validates the document against
// that format's own schema (so errors name the keys the user wrote, at their line and column), and
// translates it into the native config, which the native schema then validates and fills with defaults.
// watchConfig and --check use it; the rest of the proxy only ever sees the native config.
import { createRequire } from 'node:module';
import { readConfigText } from '@sre-stack/runtime/config';
import { parse } from 'yaml';
import { z } from 'zod';
import { configSchema, type ProxyConfig } from '../config/schema.ts';
import { type ConfigFormat, detectFormat, FORMAT_NAMES } from './detect.ts';
import type { NativeInput } from './native-input.ts';

export { type ConfigFormat, detectFormat, FORMAT_NAMES } from './detect.ts';

interface Adapter {
  schema: z.ZodType;
  toNative(config: never): NativeInput;
}

type OtherFormat = Exclude<ConfigFormat, 'native'>;

// A format's adapter module is loaded, and its schema built, the first time a file of that format is
// read: a proxy-format file (the usual case) never builds the others' schemas, which is much of what
// `proxy --check` would spend. require() because a zod transform is synchronous; it loads the same ES
// module instance an import would.
const require = createRequire(import.meta.url);
const LOAD_ADAPTER: Record<OtherFormat, () => Adapter> = {
  sidecar() {
    const { sidecarSchema, sidecarToNative } = require('./sidecar.ts') as typeof import('./sidecar.ts');
    return { schema: sidecarSchema, toNative: sidecarToNative };
  },
  rgate() {
    const { rgateSchema, rgateToNative } = require('./rgate.ts') as typeof import('./rgate.ts');
    return { schema: rgateSchema, toNative: rgateToNative };
  },
  lb() {
    const { lbSchema, lbToNative } = require('./lb.ts') as typeof import('./lb.ts');
    return { schema: lbSchema, toNative: lbToNative };
  },
};
const adapters = new Map<OtherFormat, Adapter>();

function adapterFor(format: OtherFormat): Adapter {
  let adapter = adapters.get(format);
  if (!adapter) {
    adapter = LOAD_ADAPTER[format]();
    adapters.set(format, adapter);
  }
  return adapter;
}

type IssueSink = { addIssue(issue: never): void };

function forward(issues: readonly z.core.$ZodIssue[], context: IssueSink): void {
  for (const issue of issues) context.addIssue(issue as never);
}

/** Validates a document of any format; the result is always the native config. */
export const anyConfigSchema = z.unknown().transform((data, context): ProxyConfig => {
  const format = detectFormat(data);
  if (format === 'native') {
    const result = configSchema.safeParse(data);
    if (!result.success) {
      forward(result.error.issues, context);
      return z.NEVER;
    }
    return result.data;
  }
  const adapter = adapterFor(format);
  const parsed = adapter.schema.safeParse(data);
  if (!parsed.success) {
    forward(parsed.error.issues, context);
    return z.NEVER;
  }
  const native = configSchema.safeParse(adapter.toNative(parsed.data as never));
  if (!native.success) {
    // A translation the native schema refuses is the adapter's bug or a limit of the native format; say
    // which, at the top of the file, since the user's keys are not where the problem is.
    for (const issue of native.error.issues) {
      context.addIssue({
        code: 'custom',
        path: [],
        message: `read as ${FORMAT_NAMES[format]}, but its translation is refused at ${issue.path.join('.') || 'the top'}: ${issue.message}`,
      });
    }
    return z.NEVER;
  }
  return native.data;
});

export interface FormatDescription {
  format: ConfigFormat;
  /** Things worth a log line: keys accepted for compatibility that do something else here. */
  notes: string[];
}

/** The format of a config file's text, and notes on it; native when it cannot be parsed. */
export function describeConfigText(text: string): FormatDescription {
  let data: unknown;
  try {
    data = parse(text);
  } catch {
    return { format: 'native', notes: [] };
  }
  const format = detectFormat(data);
  const notes: string[] = [];
  const sampling = (data as { tracing?: { samplingServer?: unknown } } | null)?.tracing?.samplingServer;
  if (format === 'sidecar' && typeof sampling === 'string') {
    notes.push(
      `tracing.samplingServer ${sampling} is accepted, but spans leave over OTLP (OTEL_EXPORTER_OTLP_ENDPOINT; Jaeger takes OTLP on port 4318) and trace context is read and written with OTEL_PROPAGATORS (add jaeger or b3 for OpenTracing clients)`,
    );
  }
  return { format, notes };
}

export async function describeConfigFile(file: string): Promise<FormatDescription> {
  try {
    // Over the size limit this throws at once: the load refuses the file, which parsing here would not.
    return describeConfigText(await readConfigText(file));
  } catch {
    return { format: 'native', notes: [] };
  }
}
