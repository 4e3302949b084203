// The OpenTelemetry bootstrap. A service imports this module before it loads the code that serves, with
// a dynamic import(), because ESM evaluates static imports before any code runs: the loader hook and the
// instrumentations must be in place before `node:http`, `undici` or `pino` are imported. Commands that
// answer at once (--help, --check, --once) never import it, and so never pay for the SDK.
import './node-version.mjs';

// First, before the SDK's modules are loaded: the heap settings, which apply once start-up is over
// (heap.ts); until then the start-up flags every bin sets hold (start-up-heap.mjs).
const { keepHeapCompact } = await import('./heap.ts');
keepHeapCompact();
// Every thread that serves gives back, once at rest, the heap its load grew.
(await import('./release-at-rest.ts')).releaseHeapAtRest();
const { startTelemetry } = await import('./telemetry/sdk.ts');
export const telemetry = await startTelemetry();
