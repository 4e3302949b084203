// The prober's runs on a terminal (npm start): one short line each, state changes standing out.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatProberRecord } from '../src/reporters/console.ts';

const plain = { color: false };
const time = '2026-01-01T12:00:03.123Z';

describe('console lines for the prober', () => {
  it('a successful probe run: time, probe, status, latency, nothing else', () => {
    const record = {
      time,
      level: 'info',
      msg: 'probe succeeded',
      kind: 'probe',
      probe: 'status',
      url: 'http://127.0.0.1:8000/status',
      success: true,
      status_code: 200,
      duration_ms: 12.4,
      phases_ms: { resolve: 0, connect: 1, tls: 0, processing: 10, transfer: 1 },
      assertions: [{ name: 'status', ok: true, expected: '200-299', actual: '200' }],
      trace_id: 'a'.repeat(32),
    };
    assert.equal(formatProberRecord(record, plain), '12:00:03.123 ✓ status         200    12 ms');
  });

  it('a failed run: the reason follows', () => {
    const line = formatProberRecord(
      {
        time,
        kind: 'probe',
        probe: 'status',
        success: false,
        status_code: 503,
        duration_ms: 1534,
        error_type: 'http_status',
        error: 'status 503, expected 200-299',
      },
      plain,
    );
    assert.equal(
      line,
      '12:00:03.123 ✗ status         503   1.53 s  http_status: status 503, expected 200-299',
    );
    const timeout = formatProberRecord(
      {
        time,
        kind: 'probe',
        probe: 'status',
        success: false,
        status_code: null,
        duration_ms: 2000,
        error_type: 'timeout',
        error: 'no answer within 2s',
      },
      plain,
    );
    assert.equal(timeout, '12:00:03.123 ✗ status         ---   2.00 s  timeout: no answer within 2s');
  });

  it('state changes stand out, in words', () => {
    const down = formatProberRecord(
      { time, kind: 'probe', probe: 'status', state: 'down', previous_state: 'up', consecutive_failures: 3 },
      plain,
    );
    assert.equal(down, '12:00:03.123 ▼ status is DOWN after 3 failures in a row');
    const up = formatProberRecord(
      { time, kind: 'probe', probe: 'status', state: 'up', previous_state: 'down' },
      plain,
    );
    assert.equal(up, '12:00:03.123 ▲ status is UP');
    const colored = formatProberRecord(
      { time, kind: 'probe', probe: 'status', state: 'down', previous_state: 'up', consecutive_failures: 3 },
      { color: true },
    );
    assert.ok(colored?.includes('\x1b[1;7;31m▼ status is DOWN'), colored);
  });

  it('actions: what they sent, and a skip while chaos is pinned', () => {
    const base = {
      time,
      kind: 'action',
      action: 'toggle-flaky',
      method: 'POST',
      url: 'http://127.0.0.1:8080/flaky',
    };
    assert.equal(
      formatProberRecord({ ...base, success: true, status_code: 202, duration_ms: 3 }, plain),
      '12:00:03.123 ⚡ toggle-flaky   202     3 ms  POST /flaky',
    );
    assert.equal(
      formatProberRecord(
        { ...base, success: false, status_code: 409, duration_ms: 3, skipped: 'chaos_pinned' },
        plain,
      ),
      '12:00:03.123 ↷ toggle-flaky   409     3 ms  skipped: chaos is pinned on the server',
    );
  });

  it('every line is short: under 100 characters for the usual names', () => {
    const line = formatProberRecord(
      {
        time,
        kind: 'probe',
        probe: 'status',
        success: false,
        status_code: 504,
        duration_ms: 999,
        error_type: 'http_status',
        error: 'status 504, expected 200-299',
      },
      plain,
    );
    assert.ok((line ?? '').length < 100, line);
  });

  it('leaves other records to the caller', () => {
    assert.equal(formatProberRecord({ time, msg: 'listening', metrics_port: 9103 }, plain), undefined);
    assert.equal(formatProberRecord({ time, msg: 'config applied', added: ['status'] }, plain), undefined);
  });
});
