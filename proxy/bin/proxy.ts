#!/usr/bin/env node
// First: every module loaded after this one comes from Node's compile cache (see compile-cache.ts).
import '@sre-stack/runtime/compile-cache';
// Then: zod loads with its English messages only (see zod-locales.ts).
import '@sre-stack/runtime/zod-locales';

process.env.OTEL_SERVICE_NAME ??= 'proxy';
// The proxy makes its own server and client spans (one per attempt, see src/telemetry/tracing.ts); the
// generic http and undici instrumentations would add a second, costlier layer of the same spans.
process.env.OTEL_NODE_DISABLED_INSTRUMENTATIONS ??= 'http,undici';
// Telemetry loads in main(), after `certs`, --help and --check have had their chance to answer.
const { main } = await import('../src/main.ts');
await main();
