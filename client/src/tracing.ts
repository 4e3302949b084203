// The prober's tracer, for runs and experiments. What serves and what runs experiments imports it;
// --once, which exports nothing, does not, and so loads no OTel API (51 modules) for spans nobody keeps.
import { trace } from '@opentelemetry/api';

export const tracer = trace.getTracer('@sre-stack/client');
