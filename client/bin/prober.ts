#!/usr/bin/env node
// First: every module loaded after this one comes from Node's compile cache (see compile-cache.ts).
import '@sre-stack/runtime/compile-cache';
// Then: zod loads with its English messages only (see zod-locales.ts).
import '@sre-stack/runtime/zod-locales';

// main() reads the command line first (--help and --once never load the SDK); before serving it loads
// telemetry, and only then undici, node:http and pino, which the instrumentations must see load.
process.env.OTEL_SERVICE_NAME ??= 'prober';
// Probes go out through undici (its instrumentation makes the CLIENT span); node:http serves only the
// admin port, whose requests are never traced, so the http instrumentation would be loaded for nothing.
process.env.OTEL_NODE_DISABLED_INSTRUMENTATIONS ??= 'http';
const { main } = await import('../src/main.ts');
await main();
