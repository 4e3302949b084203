// The real prober bin against fixture servers: startup, exposure, reload, --once and shutdown.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, freePort, startProcess } from '@sre-stack/runtime/testing';
import { type Fixture, startFixture, tempDir, text, writeConfig } from './helpers/fixtures.ts';
import {
  PROBER_BIN,
  type ProbeEntry,
  probes,
  runsOf,
  sample,
  scrape,
  startProber,
} from './helpers/processes.ts';

const METRIC_FAMILIES = [
  'probe_success',
  'probe_duration_seconds',
  'probe_http_duration_seconds',
  'probe_http_status_code',
  'probe_results_total',
  'probe_failures_total',
  'probe_info',
  'probe_up',
  'probe_consecutive_failures',
  'prober_schedule_lag_seconds',
  'prober_runs_skipped_total',
  'prober_action_runs_total',
  'prober_action_duration_seconds',
  'prober_configured',
  'config_last_reload_successful',
  'config_last_reload_success_timestamp_seconds',
];

describe('prober bin', () => {
  let fixture: Fixture;
  let dir: string;
  before(async () => {
    fixture = await startFixture({
      '/ok': text('OK'),
      '/slow': text('OK', 200, 2000),
      '/flip': text('Accepted', 202),
    });
    dir = await tempDir();
  });
  after(() => fixture.close());

  it('prints help and exits 0', async () => {
    const child = startProcess(PROBER_BIN, { args: ['--help'] });
    assert.equal(await child.exited, 0);
    const output = child.lines.map((line) => line.raw ?? '').join('\n');
    assert.match(output, /Usage: prober \[--config FILE\] \[--metrics-port PORT\] \[--once\]/);
    assert.match(output, /PROBER_CONFIG/);
    assert.match(output, /PROBER_LOCATION/);
  });

  it('refuses to start on a broken config, naming file:line:column, exit 2', async () => {
    const config = await writeConfig(
      dir,
      'probes:\n  - name: a\n    url: http://127.0.0.1:1/\n    every: 1s\n    timeout: 5s\n',
      'broken.yaml',
    );
    const child = startProcess(PROBER_BIN, { args: ['--config', config, '--metrics-port', '0'] });
    assert.equal(await child.exited, 2);
    const line = child.lines.find((entry) => entry.level === 'error');
    assert.match(
      String(line?.msg),
      /broken\.yaml:5:14: probes\[0\]\.timeout: must be shorter than the interval \(1s\)/,
    );
  });

  it('runs probes and actions, and exposes every metric, /probes and readiness', async () => {
    const config = await writeConfig(
      dir,
      [
        'probes:',
        `  - { name: ok, url: "${fixture.url}/ok", every: 200ms, expect: { body: { contains: OK } } }`,
        `  - { name: refused, url: "http://127.0.0.1:${await freePort()}/", every: 200ms, failureThreshold: 1 }`,
        'actions:',
        `  - { name: flip, every: 300ms, request: { method: POST, url: "${fixture.url}/flip" } }`,
      ].join('\n'),
      'run.yaml',
    );
    const prober = await startProber(config, { PROBER_LOCATION: 'test-lab' });
    try {
      await prober.process.waitForLine(
        (line) => line.probe === 'refused' && line.msg === 'probe refused is down',
      );
      await prober.process.waitForLine((line) => line.action === 'flip' && line.msg === 'action succeeded');
      await prober.process.waitForLine((line) => line.probe === 'ok' && line.msg === 'probe succeeded');
      const metrics = await scrape(prober.metricsPort);
      for (const family of METRIC_FAMILIES) {
        assert.match(
          metrics,
          new RegExp(`^${family}(_bucket|_count|_sum)?[{ ]`, 'm'),
          `${family} is exposed`,
        );
      }
      assert.equal(sample(metrics, 'probe_success{probe="ok"}'), 1);
      assert.equal(sample(metrics, 'probe_success{probe="refused"}'), 0);
      assert.ok(
        (sample(metrics, 'probe_failures_total{probe="refused",error_type="connection_refused"}') ?? 0) >= 1,
      );
      assert.equal(sample(metrics, 'probe_http_status_code{probe="refused"}'), 0);
      assert.equal(
        sample(
          metrics,
          `probe_info{probe="ok",method="GET",url="${fixture.url}/ok",schedule="every 200ms",location="test-lab"}`,
        ),
        1,
      );
      assert.ok((sample(metrics, 'prober_action_runs_total{action="flip",result="success"}') ?? 0) >= 1);
      assert.equal(sample(metrics, 'prober_runs_skipped_total{probe="ok",reason="overlap"}'), 0);
      assert.match(
        metrics,
        /^probe_duration_seconds_bucket\{le="[^"]+",probe="ok"\} \d+ # \{trace_id="[0-9a-f]{32}"\}/m,
      );

      const line = runsOf(prober.process.lines, 'ok', 'probe succeeded')[0] ?? {};
      assert.equal(line.level, 'info');
      assert.equal(line.location, 'test-lab');
      assert.match(String(line.trace_id), /^[0-9a-f]{32}$/);
      assert.deepEqual(Object.keys(line.phases_ms as object), [
        'resolve',
        'connect',
        'tls',
        'processing',
        'transfer',
      ]);
      const failure = runsOf(prober.process.lines, 'refused', 'probe failed')[0] ?? {};
      assert.equal(failure.level, 'error');
      assert.equal(failure.error_type, 'connection_refused');

      const status = await probes(prober.metricsPort);
      assert.equal(status.location, 'test-lab');
      const ok = status.probes.find((probe) => probe.name === 'ok') as ProbeEntry;
      assert.equal(ok.state.status, 'up');
      assert.equal(ok.last_result?.success, true);
      assert.ok(ok.window.runs >= 1);
      assert.equal(status.actions[0]?.name, 'flip');
      const ready = await fetch(`http://127.0.0.1:${prober.metricsPort}/readyz`);
      assert.equal(ready.status, 200);
    } finally {
      assert.equal(await prober.process.stop('SIGTERM'), 0);
    }
  });

  it('reloads a good edit: unchanged probes keep state, changed restart, removed lose their series', async () => {
    const file = join(dir, 'reload.yaml');
    const probeLine = (name: string, extra = '') =>
      `  - { name: ${name}, url: "${fixture.url}/ok", every: 200ms${extra} }`;
    await writeFile(file, ['probes:', probeLine('keep'), probeLine('change'), probeLine('drop')].join('\n'));
    const prober = await startProber(file);
    try {
      await eventually(async () => {
        const status = await probes(prober.metricsPort);
        assert.ok(status.probes.every((probe) => probe.window.runs >= 2));
      });
      const before = await probes(prober.metricsPort);
      const keptRuns = (before.probes.find((probe) => probe.name === 'keep') as ProbeEntry).window.runs;
      await writeFile(
        file,
        ['probes:', probeLine('keep'), probeLine('change', ', timeout: 150ms'), probeLine('added')].join(
          '\n',
        ),
      );
      const applied = await prober.process.waitForLine(
        (line) => line.msg === 'config applied' && (line.added as string[]).includes('added'),
      );
      assert.deepEqual(
        [applied.added, applied.changed, applied.removed, applied.unchanged],
        [['added'], ['change'], ['drop'], ['keep']],
      );
      await eventually(async () => {
        const metrics = await scrape(prober.metricsPort);
        assert.ok(!metrics.includes('probe="drop"'), 'every series of a removed probe is gone');
        assert.equal(sample(metrics, 'probe_success{probe="added"}'), 1);
      });
      const after = await probes(prober.metricsPort);
      const names = after.probes.map((probe) => probe.name);
      assert.deepEqual(names.sort(), ['added', 'change', 'keep']);
      const kept = after.probes.find((probe) => probe.name === 'keep') as ProbeEntry;
      assert.ok(kept.window.runs >= keptRuns, 'the unchanged probe kept its recent runs');
      const changed = after.probes.find((probe) => probe.name === 'change') as ProbeEntry;
      assert.equal(changed.timeout_ms, 150);
      assert.equal(sample(await scrape(prober.metricsPort), 'config_last_reload_successful'), 1);
    } finally {
      await prober.process.stop();
    }
  });

  it('refuses a broken edit with one error line naming file:line:column, and goes on probing', async () => {
    const file = join(dir, 'refuse.yaml');
    await writeFile(file, `probes:\n  - { name: steady, url: "${fixture.url}/ok", every: 200ms }\n`);
    const prober = await startProber(file);
    try {
      await prober.process.waitForLine((line) => line.msg === 'probe succeeded');
      await writeFile(
        file,
        `probes:\n  - { name: steady, url: "${fixture.url}/ok", every: 200ms, timeout: nope }\n`,
      );
      const refused = await prober.process.waitForLine((line) =>
        String(line.msg).startsWith('config reload refused'),
      );
      assert.equal(refused.level, 'error');
      assert.match(
        String(refused.msg),
        /refuse\.yaml:2:\d+: probes\[0\]\.timeout: write a duration like 3s, 500ms/,
      );
      assert.equal(sample(await scrape(prober.metricsPort), 'config_last_reload_successful'), 0);
      const count = runsOf(prober.process.lines, 'steady').length;
      await eventually(() =>
        assert.ok(runsOf(prober.process.lines, 'steady').length >= count + 2, 'still probing'),
      );
      await writeFile(file, 'probes:\n  - { name: steady\n');
      await prober.process.waitForLine(
        (line) =>
          String(line.msg).startsWith('config reload refused') && /refuse\.yaml:3:1:/.test(String(line.msg)),
      );
      assert.equal(prober.process.child.exitCode, null, 'still running');
    } finally {
      await prober.process.stop();
    }
  });

  it('--once runs every probe once, prints a table and exits by result', async () => {
    const good = await writeConfig(
      dir,
      `probes:\n  - { name: fine, url: "${fixture.url}/ok", every: 3s }\nactions:\n  - { name: never, every: 3s, request: { method: POST, url: "${fixture.url}/flip" } }\n`,
      'once-good.yaml',
    );
    const ok = startProcess(PROBER_BIN, { args: ['--once', '--config', good] });
    assert.equal(await ok.exited, 0);
    const table = ok.lines.map((line) => line.raw ?? JSON.stringify(line)).join('\n');
    assert.match(table, /^PROBE\s+RESULT\s+CODE\s+DURATION\s+ERROR\s+REQUEST$/m);
    assert.match(table, /^fine\s+ok\s+200\s+[\d.]+ ms\s+GET http/m);
    assert.match(table, /1 probe, 0 failed/);
    assert.ok(
      ok.stderr.some((line) => line.includes('"msg":"probe succeeded"')),
      'run lines go to stderr',
    );

    const port = await freePort();
    const bad = await writeConfig(
      dir,
      `probes:\n  - { name: fine, url: "${fixture.url}/ok", every: 3s }\n  - { name: gone, url: "http://127.0.0.1:${port}/", every: 3s }\n  - { name: slow, url: "${fixture.url}/slow", every: 3s, timeout: 200ms }\n`,
      'once-bad.yaml',
    );
    const failing = startProcess(PROBER_BIN, { args: ['--once'], env: { PROBER_CONFIG: bad } });
    assert.equal(await failing.exited, 1);
    const output = failing.lines.map((line) => line.raw ?? '').join('\n');
    assert.match(output, /^gone\s+FAIL\s+-\s+[\d.]+ ms\s+connection_refused: /m);
    assert.match(output, /^slow\s+FAIL\s+-\s+[\d.]+ ms\s+timeout: /m);
    assert.match(output, /3 probes, 2 failed/);

    const invalid = await writeConfig(dir, 'probes: [ { name: x } ]\n', 'once-invalid.yaml');
    const broken = startProcess(PROBER_BIN, { args: ['--once', '--config', invalid] });
    assert.equal(await broken.exited, 2);
    assert.ok(broken.stderr.some((line) => /once-invalid\.yaml:1:\d+: probes\[0\]/.test(line)));
  });

  it('--once does not run actions', async () => {
    const before = fixture.requests.filter((request) => request.url === '/flip').length;
    const config = await writeConfig(
      dir,
      `actions:\n  - { name: flip, every: 3s, request: { method: POST, url: "${fixture.url}/flip" } }\n`,
      'once-actions.yaml',
    );
    const child = startProcess(PROBER_BIN, { args: ['--once', '--config', config] });
    assert.equal(await child.exited, 0);
    assert.equal(fixture.requests.filter((request) => request.url === '/flip').length, before);
  });

  it('--once over plain HTTP loads neither node:http2 nor node:tls (undici-core.ts defers them)', async () => {
    const config = await writeConfig(
      dir,
      `probes:\n  - { name: fine, url: "${fixture.url}/ok", every: 3s }\n`,
      'once-plain.yaml',
    );
    // Reports, as the process exits, the built-in modules of the two that were loaded. NODE_OPTIONS is
    // split at spaces: the script has none.
    const report = `--import=data:text/javascript,process.on('exit',()=>process.stderr.write('loaded:'+process.moduleLoadList.filter((n)=>/^NativeModule.(http2|tls)$/.test(n)).join()+'\\n'))`;
    const child = startProcess(PROBER_BIN, {
      args: ['--once', '--config', config],
      env: { NODE_OPTIONS: report },
    });
    assert.equal(await child.exited, 0);
    const loaded = child.stderr.find((line) => line.startsWith('loaded:'));
    assert.equal(loaded, 'loaded:', child.stderr.join('\n'));
  });
});
