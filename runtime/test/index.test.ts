// Other workspaces import these names; removing or renaming one breaks them. This is the list to keep.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as runtime from '@sre-stack/runtime';
import * as testing from '@sre-stack/runtime/testing';
import * as direct from '../src/index.ts';

describe('the public API', () => {
  test('@sre-stack/runtime resolves to src/index.ts', () => {
    assert.equal(runtime.createLogger, direct.createLogger);
  });

  test('exports every name the services use', () => {
    const functions = [
      'createLogger',
      'startAdminServer',
      'sendJson',
      'watchConfig',
      'parseConfigText',
      'loadConfigFile',
      'configPath',
      'movedField',
      'formatIssue',
      'formatPath',
      'substitute',
      'duration',
      'parseDuration',
      'formatDuration',
      'createLifecycle',
      'drainHttpServer',
      'cli',
      'parseCliArgs',
      'formatHelp',
      'parsePort',
      'latencyHistogram',
      'observeSeconds',
      'currentExemplar',
      'gauge',
      // classes
      'ConfigError',
      'CliError',
      'Counter',
      'Gauge',
      'Histogram',
    ];
    for (const name of functions) {
      assert.equal(typeof (runtime as Record<string, unknown>)[name], 'function', name);
    }
    assert.equal(typeof runtime.DURATION_PATTERN, 'string');
    assert.ok(Array.isArray(runtime.LATENCY_BUCKETS_SECONDS));
    assert.ok(runtime.untracedPorts instanceof Set);
    assert.equal(typeof runtime.registry.metrics, 'function');
  });

  test("the parts exported alone are the main entry's own", async () => {
    // Commands that answer at once (--once, --check) import these rather than the main entry.
    const parts: Record<string, string[]> = {
      '@sre-stack/runtime/clock': ['systemClock', 'sleep'],
      '@sre-stack/runtime/config': ['loadConfigFile', 'ConfigError', 'duration', 'configPath'],
      '@sre-stack/runtime/display-url': ['displayUrl', 'REDACTED'],
      '@sre-stack/runtime/lifecycle': ['createLifecycle', 'drainHttpServer'],
      '@sre-stack/runtime/logger': ['createLogger'],
    };
    for (const [path, names] of Object.entries(parts)) {
      const part = (await import(path)) as Record<string, unknown>;
      for (const name of names) {
        assert.equal(part[name], (runtime as Record<string, unknown>)[name], `${path} ${name}`);
      }
    }
  });

  test('@sre-stack/runtime/testing exports the test helpers', () => {
    for (const name of ['startProcess', 'freePort', 'eventually', 'startOtlpReceiver']) {
      assert.equal(typeof (testing as Record<string, unknown>)[name], 'function', name);
    }
  });
});
