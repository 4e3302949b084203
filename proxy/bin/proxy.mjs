#!/usr/bin/env node
// Plain JavaScript, like the two hooks below: nothing is type-stripped before the compile cache is on,
// so a start from a warm cache never loads the TypeScript stripper (see compile-cache.mjs).
// First: the Node version check, then every module loaded after this one comes from the compile cache.
import '@sre-stack/runtime/compile-cache';
// Then: zod loads with its English messages only (see zod-locales.mjs).
import '@sre-stack/runtime/zod-locales';

process.env.OTEL_SERVICE_NAME ??= 'proxy';
// The proxy makes its own server and client spans (one per attempt, see src/telemetry/tracing.ts); the
// generic http and undici instrumentations would add a second, costlier layer of the same spans.
process.env.OTEL_NODE_DISABLED_INSTRUMENTATIONS ??= 'http,undici';
// Telemetry loads in main(), after `certs`, --help and --check have had their chance to answer.
const { main } = await import('../src/main.ts');
await main();
