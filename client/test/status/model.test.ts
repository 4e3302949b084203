import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, parseConfigText } from '@sre-stack/runtime';
import { countLoopTurns } from '@sre-stack/runtime/testing';
import { stringify } from 'yaml';
import { toDefinitions } from '../../src/config/definitions.ts';
import { probesFileSchema } from '../../src/config/schema.ts';
import { Monitor } from '../../src/monitor.ts';
import { HistoryStore } from '../../src/status/history.ts';
import { type StatusSource, statusSnapshot, statusSnapshotText } from '../../src/status/model.ts';
import { run, T0 } from './helpers.ts';

const logger = createLogger({ service: 'prober', level: 'silent' });

/** A prober's status with `count` probes (one with credentials in its URL) and one action, each run. */
function source(count: number): StatusSource {
  const file = parseConfigText(
    stringify({
      probes: Array.from({ length: count }, (_, index) => ({
        name: `probe-${index}`,
        every: '10s',
        url: index === 0 ? 'http://user:hunter2@127.0.0.1:9/?token=abc' : `http://127.0.0.1:9/${index}`,
      })),
      actions: [
        { name: 'toggle', every: '10s', request: { method: 'POST', url: 'http://127.0.0.1:9/flaky' } },
      ],
    }),
    'test.yaml',
    probesFileSchema,
  );
  const definitions = toDefinitions(file);
  const history = new HistoryStore();
  const monitor = new Monitor({ logger, location: 'test' });
  for (const definition of definitions) {
    const context = monitor.createHandler(definition);
    for (let index = 0; index < 3; index++) {
      const ok = index !== 1;
      const result = run(definition, T0 + index * 1000, ok, ok ? {} : { traceId: 'c'.repeat(32) });
      const transition = context.state.record(ok, result.startedAt);
      context.last = result;
      history.record(definition, result, transition);
    }
  }
  return {
    contexts: () => monitor.contexts.values(),
    history,
    location: 'test',
    now: () => T0 + 5000,
    grafanaUrl: 'http://admin:pw@grafana.test:3000/',
  };
}

describe('status snapshot text', () => {
  it('is the JSON of the snapshot, character for character', async () => {
    const status = source(3);
    const text = await statusSnapshotText(status);
    assert.equal(text, JSON.stringify(statusSnapshot(status)));
    const parsed = JSON.parse(text);
    assert.equal(parsed.probes.length, 3);
    assert.equal(parsed.actions.length, 1);
    assert.doesNotMatch(text, /hunter2|token=abc|admin:pw/);
  });

  it('is built a few probes at a time, with turns of the event loop between them', async () => {
    const status = source(300);
    const loop = countLoopTurns();
    const text = await statusSnapshotText(status);
    const turns = loop.stop();
    assert.equal(text, JSON.stringify(statusSnapshot(status)));
    assert.ok(turns >= 5, `the event loop turned ${turns} times while 301 entries were built`);
  });
});
