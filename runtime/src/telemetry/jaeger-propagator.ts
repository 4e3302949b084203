// Jaeger's `uber-trace-id` header. The OpenTelemetry propagator for it stopped at core 2.x and does not
// load beside the 3.x SDK, so this is the small subset we need: inject and extract one header.
import {
  type Context,
  isSpanContextValid,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  TraceFlags,
  trace,
} from '@opentelemetry/api';

export const JAEGER_HEADER = 'uber-trace-id';
const HEX = /^[0-9a-f]{1,32}$/;

/** Some clients URL-encode the colons; a broken %-escape is just a malformed header, not an error. */
function decodeHeader(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return '';
  }
}

export class JaegerPropagator implements TextMapPropagator {
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = trace.getSpanContext(context);
    if (!spanContext || !isSpanContextValid(spanContext)) return;
    const flags = spanContext.traceFlags & TraceFlags.SAMPLED ? '1' : '0';
    // Parent span id is deprecated in Jaeger's format and always written as 0.
    setter.set(carrier, JAEGER_HEADER, `${spanContext.traceId}:${spanContext.spanId}:0:${flags}`);
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const raw = getter.get(carrier, JAEGER_HEADER);
    const value = decodeHeader(Array.isArray(raw) ? (raw[0] ?? '') : (raw ?? ''));
    const [traceId, spanId, , flags] = value.split(':');
    if (!traceId || !spanId || flags === undefined) return context;
    if (!HEX.test(traceId) || !/^[0-9a-f]{1,16}$/.test(spanId)) return context;
    const spanContext = {
      traceId: traceId.padStart(32, '0'),
      spanId: spanId.padStart(16, '0'),
      traceFlags: Number.parseInt(flags, 16) & TraceFlags.SAMPLED,
      isRemote: true,
    };
    if (!isSpanContextValid(spanContext)) return context;
    return trace.setSpanContext(context, spanContext);
  }

  fields(): string[] {
    return [JAEGER_HEADER];
  }
}
