#!/usr/bin/env node
// First: every module loaded after this one comes from Node's compile cache (see compile-cache.ts).
import '@sre-stack/runtime/compile-cache';
// Then: zod loads with its English messages only (see zod-locales.ts).
import '@sre-stack/runtime/zod-locales';

// rgate, the API gateway for Docker containers: the proxy with rgate's command line and defaults
// (see src/rgate/cli.ts). `rgate --port 8080 --config config.yml`.
process.env.OTEL_SERVICE_NAME ??= 'rgate';
// As for the proxy: its own server and client spans replace the generic http and undici ones.
process.env.OTEL_NODE_DISABLED_INSTRUMENTATIONS ??= 'http,undici';
// Telemetry loads in main(), after `certs`, --help and --check have had their chance to answer.
const { main } = await import('../src/main.ts');
await main('rgate');
