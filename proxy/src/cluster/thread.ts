// A worker thread's entry: telemetry first (as the bin does for the main thread), then the worker.
process.env.OTEL_SERVICE_NAME ??= 'proxy';
process.env.OTEL_NODE_DISABLED_INSTRUMENTATIONS ??= 'http,undici';
await import('@sre-stack/runtime/telemetry');
const { runWorker } = await import('./worker.ts');
await runWorker();
