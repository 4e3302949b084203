#!/usr/bin/env node
// Telemetry first, then the app: undici, node:http and pino must load after the instrumentations.
process.env.OTEL_SERVICE_NAME ??= 'prober';
await import('@sre-stack/runtime/telemetry');
const { main } = await import('../src/main.ts');
await main();
