#!/usr/bin/env node
// Telemetry first, then the app: dynamic imports, so node:http and pino load after instrumentation.
process.env.OTEL_SERVICE_NAME ??= 'flaky-server';
await import('@sre-stack/runtime/telemetry');
const { main } = await import('../src/main.ts');
await main();
