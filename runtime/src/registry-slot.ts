// Where metrics that must not load prom-client just to be defined find the registry. Lean metrics
// (lean-metrics.ts) are made when their modules load, and a config check may load those modules (the
// proxy's does, to build its config schema). They wait here until the runtime's metrics module, which
// holds the registry, is loaded, and register at once after that.
interface Registrable {
  registerMetric(metric: never): void;
}

let registry: Registrable | undefined;
const waiting: unknown[] = [];

export function registerWhenReady(metric: unknown): void {
  if (registry) registry.registerMetric(metric as never);
  else waiting.push(metric);
}

export function provideRegistry(target: Registrable): void {
  registry = target;
  for (const metric of waiting.splice(0)) target.registerMetric(metric as never);
}
