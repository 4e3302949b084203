// The OpenTelemetry bootstrap. A service's bin imports this module first and only then loads its app
// with a dynamic import(), because ESM evaluates static imports before any code runs: the loader hook
// and the instrumentations must be in place before `node:http`, `undici` or `pino` are imported.
// First of all: an older Node gets one line saying what to do, not a stack trace from deep inside OTel.
import './node-version.mjs';
import { register } from 'node:module';
import { createAddHookMessageChannel } from 'import-in-the-middle';

const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
// Only modules that an instrumentation hooks go through the loader; our own .ts files never do.
register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, registerOptions);

const { startTelemetry } = await import('./telemetry/sdk.ts');
export const telemetry = startTelemetry();
await waitForAllMessagesAcknowledged();
