import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { setActiveTelemetry, shutdownTelemetry, TELEMETRY_FLUSH_TIMEOUT_MS } from '../src/telemetry/state.ts';

const idle = { tracesExported: false, logsExported: false, shutdown: async () => {} };
afterEach(() => setActiveTelemetry(idle));

describe('shutdownTelemetry', () => {
  test('without an SDK it is a no-op', async () => {
    await shutdownTelemetry();
  });

  test('waits for the SDK to flush', async () => {
    let flushed = false;
    setActiveTelemetry({
      ...idle,
      shutdown: async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        flushed = true;
      },
    });
    await shutdownTelemetry();
    assert.equal(flushed, true);
  });

  test('gives up after its timeout when the collector hangs, so the process can still exit', async () => {
    let calls = 0;
    setActiveTelemetry({
      ...idle,
      shutdown: () => {
        calls++;
        return new Promise<void>(() => {}); // never settles, like an export to a hung collector
      },
    });
    await shutdownTelemetry(50);
    assert.equal(calls, 1);
  });

  test('the default bound leaves room inside a 10 s stop grace period', () => {
    assert.ok(TELEMETRY_FLUSH_TIMEOUT_MS > 0 && TELEMETRY_FLUSH_TIMEOUT_MS <= 5000);
  });
});
