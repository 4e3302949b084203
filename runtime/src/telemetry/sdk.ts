import type { IncomingMessage } from 'node:http';
import { DiagLogLevel, diag } from '@opentelemetry/api';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { BatchLogRecordProcessor, type LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  NoopSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { displayUrl } from '../display-url.ts';
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
function spanProcessors(): { processors: SpanProcessor[]; exported: boolean } {
  const exporter = (env.OTEL_TRACES_EXPORTER ?? '').trim().toLowerCase();
  if (exporter === 'none') return { processors: [new NoopSpanProcessor()], exported: false };
  if (exporter === 'console')
    return {
      processors: [
        new BatchSpanProcessor({ exporter: new ConsoleSpanExporter(), ...batchOptions('OTEL_BSP') }),
      ],
      exported: true,
    };
  if (
    exporter === 'otlp' ||
    has('OTEL_EXPORTER_OTLP_ENDPOINT') ||
    has('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')
  ) {
    return {
      processors: [
        new BatchSpanProcessor({ exporter: new OTLPTraceExporter(), ...batchOptions('OTEL_BSP') }),
      ],
      exported: true,
    };
  }
  return { processors: [new NoopSpanProcessor()], exported: false };
}

function logProcessors(): LogRecordProcessor[] {
  const exporter = (env.OTEL_LOGS_EXPORTER ?? '').trim().toLowerCase();
  if (exporter === 'none') return [];
  if (exporter === 'otlp' || has('OTEL_EXPORTER_OTLP_LOGS_ENDPOINT')) {
    return [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter(), ...batchOptions('OTEL_BLRP') })];
  }
  return [];
}

export function startTelemetry(): TelemetryState {
  // Metrics leave through the Prometheus listener, never over OTLP.
  env.OTEL_METRICS_EXPORTER ??= 'none';
  if (env.OTEL_LOG_LEVEL) {
    const level = DiagLogLevel[env.OTEL_LOG_LEVEL.toUpperCase() as keyof typeof DiagLogLevel];
    if (level !== undefined) diag.setLogger({ ...console, verbose: console.debug }, level);
  }
  const traces = spanProcessors();
  const logs = logProcessors();
  const { propagator, unknown } = propagatorFromEnv();
  if (unknown.length > 0) {
    process.emitWarning(`OTEL_PROPAGATORS: unknown propagator(s) ${unknown.join(', ')} ignored`);
  }
  // The variable auto-instrumentations-node reads: a service that makes its own spans (the proxy) turns
  // the generic ones off, e.g. OTEL_NODE_DISABLED_INSTRUMENTATIONS=http,undici.
  const disabled = new Set(
    (env.OTEL_NODE_DISABLED_INSTRUMENTATIONS ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean),
  );
  const ignorePlumbing = (request: IncomingMessage) => untracedPorts.has(request.socket.localPort ?? -1);
  const sdk = new NodeSDK({
    spanProcessors: traces.processors,
    logRecordProcessors: logs,
    metricReaders: [],
    textMapPropagator: propagator,
    instrumentations: [
      ...(disabled.has('http')
        ? []
        : [new HttpInstrumentation({ ignoreIncomingRequestHook: ignorePlumbing })]),
      ...(disabled.has('undici')
        ? []
        : [new UndiciInstrumentation({ startSpanHook: redactedUrlAttributes })]),
      // Puts trace_id/span_id on every log line; ships records over OTLP only when a logs endpoint is set.
      ...(disabled.has('pino') ? [] : [new PinoInstrumentation({ disableLogSending: logs.length === 0 })]),
    ],
  });
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() !== 'true') sdk.start();
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

/** Client spans show the URL as displayUrl does: no userinfo, no token in the query. */
function redactedUrlAttributes(request: { origin: string; path: string }): Record<string, string> {
  try {
    const url = new URL(displayUrl(new URL(request.path, request.origin).toString()));
    return { 'url.full': url.toString(), 'url.query': url.search };
  } catch {
    return {};
  }
}
