#!/usr/bin/env node
// Plain JavaScript, like the hook it imports first: nothing is type-stripped before the compile cache
// is on, so a start from a warm cache never loads the TypeScript stripper (see compile-cache.mjs).
// First: the Node version check, then every module loaded after this one comes from the compile cache.
import '@sre-stack/runtime/compile-cache';

// main() parses the command line first, so --help answers without the SDK; it then loads telemetry and,
// after it, the code that serves (node:http and pino must load after the instrumentations).
process.env.OTEL_SERVICE_NAME ??= 'flaky-server';
// The server makes its own SERVER span per request (runtime startServerSpan); the generic http
// instrumentation would add a second, far costlier layer of the same spans. It calls nothing outbound.
process.env.OTEL_NODE_DISABLED_INSTRUMENTATIONS ??= 'http,undici';
const { main } = await import('../src/main.ts');
await main();
