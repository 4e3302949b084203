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

  test('@sre-stack/runtime/testing exports the test helpers', () => {
    for (const name of ['startProcess', 'freePort', 'eventually', 'startOtlpReceiver']) {
      assert.equal(typeof (testing as Record<string, unknown>)[name], 'function', name);
    }
  });
});
