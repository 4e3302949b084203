#!/usr/bin/env node
// Plain JavaScript, like the two hooks below: nothing is type-stripped before the compile cache is on,
// so a start from a warm cache never loads the TypeScript stripper (see compile-cache.mjs).
// First: the Node version check, then every module loaded after this one comes from the compile cache.
import '@sre-stack/runtime/compile-cache';
// Then: zod loads with its English messages only (see zod-locales.mjs).
import '@sre-stack/runtime/zod-locales';

// main() reads the command line first (--help and --once never load the SDK); before serving it loads
// telemetry, and only then undici, node:http and pino, which the instrumentations must see load.
process.env.OTEL_SERVICE_NAME ??= 'prober';
// Probes go out through undici (its instrumentation makes the CLIENT span); node:http serves only the
// admin port, whose requests are never traced, so the http instrumentation would be loaded for nothing.
process.env.OTEL_NODE_DISABLED_INSTRUMENTATIONS ??= 'http';
const { main } = await import('../src/main.ts');
await main();
