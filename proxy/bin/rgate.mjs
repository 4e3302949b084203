#!/usr/bin/env node
// Plain JavaScript, like the two hooks below: nothing is type-stripped before the compile cache is on,
// so a start from a warm cache never loads the TypeScript stripper (see compile-cache.mjs).
// First: the Node version check, then every module loaded after this one comes from the compile cache.
import '@sre-stack/runtime/compile-cache';
// Then: zod loads with its English messages only (see zod-locales.mjs).
import '@sre-stack/runtime/zod-locales';

// rgate, the API gateway for Docker containers: the proxy with rgate's command line and defaults
// (see src/rgate/cli.ts). `rgate --port 8080 --config config.yml`.
process.env.OTEL_SERVICE_NAME ??= 'rgate';
// As for the proxy: its own server and client spans replace the generic http and undici ones.
process.env.OTEL_NODE_DISABLED_INSTRUMENTATIONS ??= 'http,undici';
// Telemetry loads in main(), after `certs`, --help and --check have had their chance to answer.
const { main } = await import('../src/main.ts');
await main('rgate');
