import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { HistoryStore } from '../../src/status/history.ts';
import { HISTORY_FORMAT, HistoryFileError, loadHistory, saveHistory } from '../../src/status/persist.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { down, probe, run, T0 } from './helpers.ts';

const HOUR = 60 * 60_000;

describe('status history file', () => {
  it('round-trips what the page shows, and leaves out what is older than 24 h', async () => {
    const file = join(await tempDir(), 'history.json');
    const store = new HistoryStore();
    const alpha = probe('alpha');
    store.record(alpha, run(alpha, T0, false, { traceId: 'b'.repeat(32) }), down);
    store.record(alpha, run(alpha, T0 + 20 * HOUR, true), undefined);
    await saveHistory(store, file, T0 + 20 * HOUR);

    const restored = new HistoryStore();
    assert.equal(loadHistory(restored, file, T0 + 25 * HOUR), true);
    const history = restored.probes.get('alpha');
    assert.equal(history?.runs.length, 1, 'the run of 25 h ago is left out');
    assert.equal(history?.uptime(T0 + 25 * HOUR, 24 * HOUR), 1);
    assert.equal(restored.incidents.length, 0);
    assert.equal(loadHistory(new HistoryStore(), file, T0 + 21 * HOUR), true);
  });

  it('is written without credentials', async () => {
    const file = join(await tempDir(), 'history.json');
    const store = new HistoryStore();
    const action = { ...probe('toggle'), kind: 'action' as const };
    store.record(action, run(action, T0, true, { url: 'http://admin:hunter2@127.0.0.1/flaky' }), undefined);
    await saveHistory(store, file, T0);
    assert.doesNotMatch(await readFile(file, 'utf8'), /hunter2/);
  });

  it('starts empty when the file does not exist yet', async () => {
    assert.equal(loadHistory(new HistoryStore(), join(await tempDir(), 'none.json'), T0), false);
  });

  for (const [what, text, reason] of [
    ['not JSON', 'probes:\n  - name: x\n', /is not JSON: not a prober history file/],
    [
      'someone else’s JSON',
      '{"name": "my-app", "version": "1.0.0"}',
      /is not a prober history file \(its "format" is null/,
    ],
    [
      'a newer version',
      JSON.stringify({ format: HISTORY_FORMAT, version: 99 }),
      /has version 99; this prober reads version 1/,
    ],
    [
      'damaged',
      JSON.stringify({
        format: HISTORY_FORMAT,
        version: 1,
        saved_at: 'x',
        probes: { a: { fingerprint: 'f', runs: [{ at: 'x' }], minutes: [] } },
        incidents: [],
        chaos: [],
      }),
      /is damaged: probes\.a\.runs\.0\.at/,
    ],
  ] as const) {
    it(`refuses a file that is ${what}, with the reason`, async () => {
      const file = join(await tempDir(), 'history.json');
      await writeFile(file, text);
      assert.throws(
        () => loadHistory(new HistoryStore(), file, T0),
        (error: unknown) => {
          assert.ok(error instanceof HistoryFileError);
          assert.match(error.message, reason);
          assert.ok(error.message.includes(file), 'names the file');
          return true;
        },
      );
      assert.equal(await readFile(file, 'utf8'), text, 'untouched');
    });
  }
});
