// The real prober bin: the status page history survives a restart (history file), follows a reload, and
// a history file that is not ours is refused, left untouched, and does not stop the prober.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually } from '@sre-stack/runtime/testing';
import { type Fixture, startFixture, tempDir, text } from '../helpers/fixtures.ts';
import { startProber } from '../helpers/processes.ts';

interface Entry {
  name: string;
  history: { recent: { at: number }[]; uptime_24h: number | null };
}

async function entries(metricsPort: number): Promise<Map<string, Entry>> {
  const body = (await (await fetch(`http://127.0.0.1:${metricsPort}/probes`)).json()) as { probes: Entry[] };
  return new Map(body.probes.map((entry) => [entry.name, entry]));
}

describe('status page history in the prober', () => {
  let fixture: Fixture;
  let dir: string;

  before(async () => {
    fixture = await startFixture({ '/ok': text('fine') });
    dir = await tempDir();
  });
  after(() => fixture.close());

  const probe = (name: string, every = '200ms') =>
    `  - { name: ${name}, url: "${fixture.url}/ok", every: ${every} }`;

  it('keeps the history across a restart when a history file is set', async () => {
    const config = join(dir, 'persist.yaml');
    await writeFile(config, ['history: { file: history.json }', 'probes:', probe('kept')].join('\n'));
    const first = await startProber(config);
    await eventually(async () =>
      assert.ok(((await entries(first.metricsPort)).get('kept')?.history.recent.length ?? 0) >= 3),
    );
    assert.equal(await first.process.stop(), 0);
    const saved = JSON.parse(await readFile(join(dir, 'history.json'), 'utf8'));
    const savedRuns = saved.probes.kept.runs.length;
    assert.ok(savedRuns >= 3, `${savedRuns} runs saved at shutdown`);

    const second = await startProber(config);
    try {
      const restored = (await entries(second.metricsPort)).get('kept');
      assert.ok(
        (restored?.history.recent.length ?? 0) >= Math.min(savedRuns, 60),
        'the runs before the restart show',
      );
      const savedTimes = new Set(saved.probes.kept.runs.map((run: { at: number }) => run.at));
      assert.ok(savedTimes.has(restored?.history.recent[0]?.at), 'the oldest run shown is one saved before');
      assert.notEqual(restored?.history.uptime_24h, null);
      assert.ok(second.process.lines.some((line) => line.msg === 'history loaded'));
    } finally {
      await second.process.stop();
    }
  });

  it('keeps the history of unchanged probes on reload and starts changed ones afresh', async () => {
    const config = join(dir, 'reload.yaml');
    await writeFile(config, ['probes:', probe('steady'), probe('edited')].join('\n'));
    const prober = await startProber(config);
    try {
      await eventually(async () => {
        const shown = await entries(prober.metricsPort);
        assert.ok((shown.get('steady')?.history.recent.length ?? 0) >= 5);
        assert.ok((shown.get('edited')?.history.recent.length ?? 0) >= 5);
      });
      const before = (await entries(prober.metricsPort)).get('steady')?.history.recent[0]?.at;
      await writeFile(config, ['probes:', probe('steady'), probe('edited', '5s')].join('\n'));
      await prober.process.waitForLine(
        (line) =>
          line.msg === 'config applied' && Array.isArray(line.changed) && line.changed.includes('edited'),
        10_000,
      );
      const after = await entries(prober.metricsPort);
      assert.equal(after.get('steady')?.history.recent[0]?.at, before, 'steady keeps its oldest run');
      assert.ok((after.get('edited')?.history.recent.length ?? 0) <= 1, 'edited starts afresh');
    } finally {
      await prober.process.stop();
    }
  });

  it('refuses a history file that is not its own, and leaves it as it was', async () => {
    const foreign = join(dir, 'package.json');
    const content = '{"name": "not-a-history", "version": "1.0.0"}\n';
    await writeFile(foreign, content);
    const config = join(dir, 'foreign.yaml');
    await writeFile(
      config,
      ['history: { file: package.json, saveEvery: 1s }', 'probes:', probe('one')].join('\n'),
    );
    const prober = await startProber(config);
    try {
      const refusal = prober.process.lines.find(
        (line) => line.level === 'error' && /history file/.test(String(line.msg)),
      );
      assert.match(
        String(refusal?.msg),
        /is not a prober history file \(its "format" is null, expected "sre-stack-prober-history"\); refusing it and keeping history in memory only/,
      );
      await eventually(async () =>
        assert.ok(((await entries(prober.metricsPort)).get('one')?.history.recent.length ?? 0) >= 2),
      );
    } finally {
      assert.equal(await prober.process.stop(), 0);
    }
    assert.equal(await readFile(foreign, 'utf8'), content);
  });
});
