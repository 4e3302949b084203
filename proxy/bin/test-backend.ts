#!/usr/bin/env node
// First: every module loaded after this one comes from Node's compile cache (see compile-cache.ts).
import '@sre-stack/runtime/compile-cache';

// The load-balancer spec's `be`: listens on every target address of a proxy config (any format the
// proxy reads), each answering with its own address. No telemetry: it is a test and demo tool.
const { main } = await import('../src/test-backend/main.ts');
await main();
