// The three shipped experiments against the real flaky-server and proxy (the shipped proxy.yaml), each
// with its expected verdict, with windows shortened for the test. URLs come from the environment, as in
// compose.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  EXAMPLES,
  readJournal,
  runExperimentBin,
  type Stack,
  shortened,
  startStack,
  tempDir,
} from './helpers.ts';

/** The verdict the file's own comment promises. */
async function promised(name: string): Promise<{ verdict: string; code: number }> {
  const text = await readFile(join(EXAMPLES, name), 'utf8');
  const match = /^# Expected verdict: (HELD|DEVIATED) \(exit (\d)\)/m.exec(text);
  assert.ok(match, `${name} states its expected verdict`);
  return { verdict: (match[1] as string).toLowerCase(), code: Number(match[2]) };
}

describe('shipped experiments', () => {
  let stack: Stack;
  let directory: string;
  before(async () => {
    stack = await startStack();
    directory = await tempDir();
  });
  after(() => stack?.stop());

  const cases = [
    // Enough runs in a short window that 2.7 % failed requests stay well inside the 90 % tolerance.
    { name: 'retries-absorb-503s.yaml', change: { window: '3s', pause: '500ms', every: '50ms' } },
    // The breaker's first requests pay three cut tries: the window must be long enough for p95 to be
    // about the shedding, as in the shipped file (10 s, one run every 250 ms).
    { name: 'breaker-sheds-outage.yaml', change: { window: '10s', pause: '500ms' } },
    { name: 'latency-beyond-timeout.yaml', change: { window: '2s', pause: '500ms' } },
  ];

  for (const { name, change } of cases) {
    it(`${name}: the verdict in its comment, and a journal of every step and check`, async () => {
      const expected = await promised(name);
      const file = await shortened(name, directory, change);
      const journalFile = join(directory, `${name}.journal.json`);
      const run = await runExperimentBin([file, '--journal', journalFile], stack.env);
      assert.equal(run.code, expected.code, `${run.stdout}\n${run.stderr}`);
      assert.match(run.stdout, new RegExp(`verdict: ${expected.verdict.toUpperCase()}`));
      assert.match(
        run.stdout,
        /steady state during the method\n {3}(HELD|DEVIATED) +\d+\/\d+ runs succeeded, ratio/,
      );
      const journal = await readJournal(journalFile);
      assert.equal(journal.verdict, expected.verdict);
      assert.equal(journal.exit_code, expected.code);
      assert.deepEqual(
        journal.checks.map((check) => check.phase),
        ['steady_state_before', 'steady_state_during', 'steady_state_after'],
      );
      assert.ok(journal.checks.every((check) => check.runs > 0));
      assert.deepEqual(
        journal.checks.map((check) => check.held),
        [true, expected.verdict === 'held', true],
      );
      assert.ok(
        journal.steps.every((step) => step.ok),
        JSON.stringify(journal.steps),
      );
      assert.deepEqual(
        journal.steps.map((step) => step.phase),
        ['method', 'method', 'rollbacks'],
      );
      assert.ok(journal.fault_window && journal.fault_window.start < journal.fault_window.end);
      assert.ok(journal.started_at < journal.ended_at);
    });
  }

  it('left nothing behind: no proxy fault, flaky mode off', async () => {
    const fault = (await (await fetch(`${stack.env.PROXY_ADMIN_URL}/faults/flaky`)).json()) as {
      fault: unknown;
    };
    assert.equal(fault.fault, null);
    const flaky = (await (await fetch(`${stack.env.SERVER_URL}/flaky`)).json()) as { flaky: boolean };
    assert.equal(flaky.flaky, false);
  });
});
