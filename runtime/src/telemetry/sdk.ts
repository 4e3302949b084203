// The SDK bootstrap. Only what is configured is loaded: the OTLP/HTTP exporters when an endpoint is set,
// the instrumentations a service has not turned off, never the gRPC or protobuf exporters (lean-sdk.ts).
import type { IncomingMessage } from 'node:http';
import { type Context, type ContextManager, DiagLogLevel, diag, ROOT_CONTEXT } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { BatchLogRecordProcessor, type LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BatchSpanProcessor, NoopSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { displayUrl } from '../display-url.ts';
import { hookModules } from './hooks.ts';
import { rootContext } from './lean-context.ts';
import { importLeanNodeSdk } from './lean-sdk.ts';
import { propagatorFromEnv } from './propagators.ts';
import { setActiveTelemetry, type TelemetryState, untracedPorts } from './state.ts';

const env = process.env;
const has = (name: string) => Boolean(env[name]?.trim());

/** The spec's batch settings (OTEL_BSP_* / OTEL_BLRP_*); the 3.x processors no longer read them. */
function batchOptions(prefix: 'OTEL_BSP' | 'OTEL_BLRP') {
  const read = (name: string) => {
    const value = Number(env[`${prefix}_${name}`]);
    return env[`${prefix}_${name}`]?.trim() && Number.isFinite(value) && value >= 0 ? value : undefined;
  };
  return {
    scheduledDelayMillis: read('SCHEDULE_DELAY'),
    exportTimeoutMillis: read('EXPORT_TIMEOUT'),
    maxQueueSize: read('MAX_QUEUE_SIZE'),
    maxExportBatchSize: read('MAX_EXPORT_BATCH_SIZE'),
  };
}

/**
 * Traces go out when an OTLP endpoint is set (or an exporter named). Logs go out only with a logs
 * endpoint of their own, because the general endpoint is usually a trace backend (Tempo) that would
 * refuse them. Without endpoints spans are still created, so ids reach logs and `traceparent` reaches
 * upstreams, but nothing is exported and nothing complains about a missing collector.
 */
async function spanProcessors(): Promise<{ processors: SpanProcessor[]; exported: boolean }> {
  const exporter = (env.OTEL_TRACES_EXPORTER ?? '').trim().toLowerCase();
  if (exporter === 'none') return { processors: [new NoopSpanProcessor()], exported: false };
  if (exporter === 'console') {
    const { ConsoleSpanExporter } = await import('@opentelemetry/sdk-trace');
    return {
      processors: [
        new BatchSpanProcessor({ exporter: new ConsoleSpanExporter(), ...batchOptions('OTEL_BSP') }),
      ],
      exported: true,
    };
  }
  if (
    exporter === 'otlp' ||
    has('OTEL_EXPORTER_OTLP_ENDPOINT') ||
    has('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')
  ) {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    return {
      processors: [
        new BatchSpanProcessor({ exporter: new OTLPTraceExporter(), ...batchOptions('OTEL_BSP') }),
      ],
      exported: true,
    };
  }
  return { processors: [new NoopSpanProcessor()], exported: false };
}

async function logProcessors(): Promise<LogRecordProcessor[]> {
  const exporter = (env.OTEL_LOGS_EXPORTER ?? '').trim().toLowerCase();
  if (exporter === 'none') return [];
  if (exporter === 'otlp' || has('OTEL_EXPORTER_OTLP_LOGS_ENDPOINT')) {
    const { OTLPLogExporter } = await import('@opentelemetry/exporter-logs-otlp-http');
    return [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter(), ...batchOptions('OTEL_BLRP') })];
  }
  return [];
}

/**
 * The instrumentations a service has not turned off with OTEL_NODE_DISABLED_INSTRUMENTATIONS (the
 * variable auto-instrumentations-node reads), e.g. `http,undici` for a service that makes its own spans.
 * Each is imported only when it is on.
 */
async function instrumentations(
  logsExported: boolean,
): Promise<{ list: Instrumentation[]; hooked: () => Promise<void> }> {
  const disabled = new Set(
    (env.OTEL_NODE_DISABLED_INSTRUMENTATIONS ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean),
  );
  // The loader hook sees only the modules these instrumentations patch, before any of them is loaded.
  // Not pino: the logger require()s it (logger.ts), which the instrumentation patches without a hook.
  // With http off too there is no hook at all, and no import pays for one.
  const patched = disabled.has('http') ? [] : ['http', 'https'];
  const hooked = await hookModules(patched);
  const list: Instrumentation[] = [];
  if (!disabled.has('http')) {
    const { HttpInstrumentation } = await import('@opentelemetry/instrumentation-http');
    const ignorePlumbing = (request: IncomingMessage) => untracedPorts.has(request.socket.localPort ?? -1);
    list.push(new HttpInstrumentation({ ignoreIncomingRequestHook: ignorePlumbing }));
  }
  if (!disabled.has('undici')) {
    const { UndiciInstrumentation } = await import('@opentelemetry/instrumentation-undici');
    list.push(new UndiciInstrumentation({ startSpanHook: redactedUrlAttributes }));
  }
  if (!disabled.has('pino')) {
    // Puts trace_id/span_id on every log line; ships records over OTLP only when a logs endpoint is set.
    const { PinoInstrumentation } = await import('@opentelemetry/instrumentation-pino');
    list.push(new PinoInstrumentation({ disableLogSending: !logsExported }));
  }
  return { list, hooked };
}

export async function startTelemetry(): Promise<TelemetryState> {
  // Metrics leave through the Prometheus listener, never over OTLP.
  env.OTEL_METRICS_EXPORTER ??= 'none';
  if (env.OTEL_LOG_LEVEL) {
    const level = DiagLogLevel[env.OTEL_LOG_LEVEL.toUpperCase() as keyof typeof DiagLogLevel];
    if (level !== undefined) diag.setLogger({ ...console, verbose: console.debug }, level);
  }
  const [{ NodeSDK }, traces, logs, contextManager] = await Promise.all([
    importLeanNodeSdk(),
    spanProcessors(),
    logProcessors(),
    leanContextManager(),
  ]);
  const { propagator, unknown } = propagatorFromEnv();
  if (unknown.length > 0) {
    process.emitWarning(`OTEL_PROPAGATORS: unknown propagator(s) ${unknown.join(', ')} ignored`);
  }
  const enabled = await instrumentations(logs.length > 0);
  const sdk = new NodeSDK({
    spanProcessors: traces.processors,
    logRecordProcessors: logs,
    metricReaders: [],
    textMapPropagator: propagator,
    contextManager,
    instrumentations: enabled.list,
  });
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() !== 'true') sdk.start();
  await enabled.hooked();
  let stopped: Promise<void> | undefined;
  const state: TelemetryState = {
    tracesExported: traces.exported,
    logsExported: logs.length > 0,
    shutdown: () => {
      // Flushes batched spans and log records; an unreachable collector must not hold up exit.
      stopped ??= sdk.shutdown().catch(() => {});
      return stopped;
    },
  };
  setActiveTelemetry(state);
  return state;
}

/**
 * NodeSDK's context manager, with the lean root context (lean-context.ts) where no context is active: a
 * span started there, and every context derived from it, is then a lean one too.
 */
async function leanContextManager(): Promise<ContextManager> {
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  return new (class extends AsyncLocalStorageContextManager {
    override active(): Context {
      const active = super.active();
      return active === ROOT_CONTEXT ? rootContext : active;
    }
  })();
}

/** Client spans show the URL as displayUrl does: no userinfo, no token in the query. */
function redactedUrlAttributes(request: { origin: string; path: string }): Record<string, string> {
  try {
    const url = new URL(displayUrl(new URL(request.path, request.origin).toString()));
    return { 'url.full': url.toString(), 'url.query': url.search };
  } catch {
    return {};
  }
}
