// `prober experiment` on its own terms: bad files fail before anything is injected, rollbacks run
// after Ctrl-C and after a failed step, a failed rollback exits 2, Grafana gets the fault window, and
// the long-running prober runs experiments on a schedule.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, type RunningProcess, startOtlpReceiver, startProcess } from '@sre-stack/runtime/testing';
import { PROBER_BIN, SERVER_BIN, scrape } from '../helpers/processes.ts';
import { readJournal, runExperimentBin, startExperiment, tempDir } from './helpers.ts';

/** An experiment against the server alone: flaky mode on (100 % 503) during the method, off after. */
const experiment = (server: string, options: { pause?: string; rollback?: string; extra?: string } = {}) => `
title: the server stays up
steady_state:
  probes:
    - url: ${server}/status
      every: 100ms
      expect: { status: [200-299, 503] }
  tolerance: { success_ratio: 0.9 }
  window: 500ms
method:
  - request: { method: PUT, url: ${server}/flaky, json: { enabled: true, error_probability: 1, codes: [503], latency: { distribution: fixed, delay: 0ms } } }
  - pause: ${options.pause ?? '100ms'}
${options.extra ?? ''}
rollbacks:
  - request: { method: PUT, url: ${options.rollback ?? `${server}/flaky`}, json: { enabled: false } }
`;

async function flakyMode(server: string): Promise<boolean> {
  return ((await (await fetch(`${server}/flaky`)).json()) as { flaky: boolean }).flaky;
}

/** Every request the server received, by method and path, from its access log. */
const requestsTo = (process: RunningProcess, method: string, path: string) =>
  process.lines.filter((line) => line.msg === 'request' && line.method === method && line.path === path)
    .length;

describe('prober experiment', () => {
  let server: RunningProcess;
  let url: string;
  let directory: string;
  before(async () => {
    server = startProcess(SERVER_BIN, {
      args: ['--port', '0', '--metrics-port', '0', '--host', '127.0.0.1'],
      env: {
        LOG_LEVEL: 'info',
        SERVER_CONFIG: undefined,
        SERVER_ADMIN_TOKEN: undefined,
        OTEL_EXPORTER_OTLP_ENDPOINT: undefined,
      },
    });
    const line = await server.waitForLine((entry) => entry.msg === 'listening', 30_000);
    url = `http://127.0.0.1:${line.port}`;
    directory = await tempDir();
  });
  after(() => server?.stop('SIGTERM', 15_000));

  it('a bad key or a bad tolerance fails with file:line:col before anything is injected', async () => {
    const cases = [
      [experiment(url).replace('title:', 'titel:'), /bad-key\.yaml:2:1: .*titel/],
      [
        experiment(url).replace('success_ratio: 0.9', 'success_ratio: 1.5'),
        /bad-tolerance\.yaml:8:\d+: steady_state\.tolerance\.success_ratio/,
      ],
      [experiment(url).replace('pause: 100ms', 'pause: soon'), /bad-pause\.yaml:12:\d+: method\[1\]\.pause/],
    ] as const;
    const names = ['bad-key.yaml', 'bad-tolerance.yaml', 'bad-pause.yaml'];
    for (const [index, [text, message]] of cases.entries()) {
      const file = join(directory, names[index] as string);
      await writeFile(file, text);
      const run = await runExperimentBin([file]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, message);
      assert.match(run.stderr, /nothing was run/);
    }
    assert.equal(requestsTo(server, 'PUT', '/flaky'), 0);
    assert.equal(await flakyMode(url), false);
  });

  it('a named probe needs --probes, and must exist there', async () => {
    const file = join(directory, 'named.yaml');
    await writeFile(file, experiment(url).replace(`- url: ${url}/status`, '- probe: status'));
    const missing = await runExperimentBin([file]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /named\.yaml:5:\d+: steady_state\.probes\[0\]\.probe: .*--probes/);
    const probes = join(directory, 'probes.yaml');
    await writeFile(probes, `probes:\n  - { name: other, url: ${url}/status, every: 1s }\n`);
    const unknown = await runExperimentBin([file, '--probes', probes]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no probe named "status" .*known: other/);
  });

  it('Ctrl-C in the middle of the method: the rollbacks run, exit 2', async () => {
    const file = join(directory, 'interrupted.yaml');
    const journalFile = join(directory, 'interrupted.json');
    await writeFile(file, experiment(url, { pause: '60s' }));
    const running = startExperiment([file, '--journal', journalFile], {});
    await running.waitFor(`ok   PUT ${url}/flaky -> 200`);
    assert.equal(await flakyMode(url), true);
    running.signal('SIGINT');
    const run = await running.done;
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(run.stdout, /SIGINT: stopping the method; the rollbacks run now/);
    assert.match(run.stdout, /verdict: ABORTED/);
    assert.equal(await flakyMode(url), false);
    const journal = await readJournal(journalFile);
    assert.equal(journal.interrupted, true);
    assert.equal(journal.verdict, 'aborted');
    const rollback = journal.steps.find((step) => step.phase === 'rollbacks');
    assert.equal(rollback?.ok, true);
    assert.equal(rollback?.status, 200);
    // The pause was cut, not waited out.
    assert.ok(Date.parse(journal.ended_at) - Date.parse(journal.started_at) < 30_000);
  });

  it('a failed method step stops the method, runs the rollbacks, exit 2', async () => {
    const file = join(directory, 'failing-step.yaml');
    await writeFile(
      file,
      experiment(url, { extra: `  - request: { method: POST, url: ${url}/status/abc }\n  - pause: 30s` }),
    );
    const run = await runExperimentBin([file]);
    assert.equal(run.code, 2, run.stdout);
    assert.match(run.stdout, /a method step failed \(POST .*\/status\/abc: answered 400/);
    assert.doesNotMatch(run.stdout, /pause 30s/);
    assert.equal(await flakyMode(url), false);
  });

  it('against a stack that is not running, the verdict leads with the steady state, not the rollback', async () => {
    const file = join(directory, 'nothing-running.yaml');
    // Port 1: nothing listens there, so the probes and the rollback are all refused.
    await writeFile(file, experiment('http://127.0.0.1:1'));
    const run = await runExperimentBin([file]);
    assert.equal(run.code, 2, run.stdout);
    assert.match(
      run.stdout,
      /the steady state did not hold before the method \(.*\); nothing was injected; a rollback also failed \(PUT http:\/\/127\.0\.0\.1:1\/flaky/,
    );
  });

  it('a failed rollback is reported and exits 2; the fault window goes to Grafana', async () => {
    const annotations: { method: string; url: string; auth: string; body: Record<string, unknown> }[] = [];
    const grafana = createServer(async (request: IncomingMessage, response) => {
      let text = '';
      for await (const chunk of request) text += chunk;
      annotations.push({
        method: request.method as string,
        url: request.url as string,
        auth: request.headers.authorization as string,
        body: JSON.parse(text),
      });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"id":42,"message":"ok"}');
    });
    await new Promise<void>((resolve) => grafana.listen(0, '127.0.0.1', resolve));
    const grafanaUrl = `http://127.0.0.1:${(grafana.address() as AddressInfo).port}`;
    try {
      const file = join(directory, 'bad-rollback.yaml');
      await writeFile(file, experiment(url, { rollback: 'http://127.0.0.1:1/flaky' }));
      const run = await runExperimentBin([file], { GRAFANA_URL: grafanaUrl, GRAFANA_TOKEN: 'glsa_test' });
      assert.equal(run.code, 2, run.stdout);
      assert.match(run.stdout, /FAIL PUT http:\/\/127\.0\.0\.1:1\/flaky/);
      assert.match(run.stdout, /a rollback failed .*check the system by hand/);
      assert.deepEqual(
        annotations.map((entry) => `${entry.method} ${entry.url}`),
        ['POST /api/annotations', 'PATCH /api/annotations/42'],
      );
      assert.ok(annotations.every((entry) => entry.auth === 'Bearer glsa_test'));
      assert.deepEqual(annotations[0]?.body.tags, ['chaos', 'experiment']);
      assert.ok(Number(annotations[1]?.body.timeEnd) >= Number(annotations[0]?.body.time));
      assert.deepEqual(annotations[1]?.body.tags, ['chaos', 'experiment', 'aborted']);
    } finally {
      grafana.close();
      await fetch(`${url}/flaky`, { method: 'PUT', body: '{"enabled":false}' });
    }
  });

  it('makes one trace per experiment, with the probe runs and the control requests in it', async () => {
    const receiver = await startOtlpReceiver();
    try {
      const file = join(directory, 'traced.yaml');
      const journalFile = join(directory, 'traced.json');
      await writeFile(file, experiment(url));
      const run = await runExperimentBin([file, '--journal', journalFile], {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_BSP_SCHEDULE_DELAY: '100',
      });
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const journal = (await readJournal(journalFile)) as Awaited<ReturnType<typeof readJournal>> & {
        trace_id: string;
      };
      assert.match(journal.trace_id, /^[0-9a-f]{32}$/);
      const spans = await receiver.waitForSpans(
        (all) => all.some((span) => span.name === 'experiment the server stays up'),
        15_000,
      );
      const root = spans.find((span) => span.name === 'experiment the server stays up');
      assert.equal(root?.traceId, journal.trace_id);
      assert.equal(root?.attributes['chaos.experiment.verdict'], 'held');
      const inTrace = spans.filter((span) => span.traceId === journal.trace_id);
      const probeRuns = inTrace.filter((span) => span.name.startsWith('probe steady-state-0'));
      const checks = journal.checks.reduce((sum, check) => sum + check.runs, 0);
      assert.equal(probeRuns.length, checks, 'every probe run of every check is in the trace');
      const phases = inTrace
        .filter((span) => span.name.startsWith('experiment phase '))
        .map((span) => span.name);
      for (const phase of [
        'steady_state_before',
        'method',
        'steady_state_during',
        'rollbacks',
        'steady_state_after',
      ])
        assert.ok(phases.includes(`experiment phase ${phase}`), phase);
      // The control requests are client spans in the trace too (PUT /flaky, twice).
      const puts = inTrace.filter(
        (span) => span.kind === 3 && span.attributes['http.request.method'] === 'PUT',
      );
      assert.equal(puts.length, 2);
    } finally {
      await receiver.close();
    }
  });

  it('the long-running prober runs scheduled experiments and counts their verdicts', async () => {
    const file = join(directory, 'scheduled.yaml');
    await writeFile(file, experiment(url));
    const config = join(directory, 'scheduled-probes.yaml');
    await writeFile(config, `experiments:\n  - file: scheduled.yaml\n    schedule: "*/2 * * * * *"\n`);
    const prober = startProcess(PROBER_BIN, {
      args: ['--config', config, '--metrics-port', '0'],
      env: { LOG_LEVEL: 'info', OTEL_EXPORTER_OTLP_ENDPOINT: undefined },
    });
    try {
      const line = await prober.waitForLine((entry) => entry.msg === 'listening', 15_000);
      await prober.waitForLine((entry) => entry.msg === 'experiment held', 20_000);
      await eventually(async () => {
        const metrics = await scrape(Number(line.metrics_port));
        assert.match(
          metrics,
          /chaos_experiment_runs_total\{experiment="the server stays up",verdict="held"\} [1-9]/,
        );
        assert.match(metrics, /chaos_experiment_phase\{experiment="the server stays up",phase="\w+"\} 1/);
      });
    } finally {
      await prober.stop('SIGTERM', 15_000);
    }
    assert.equal(await flakyMode(url), false);
  });

  it('a bad experiment in the prober config stops it from starting, with file:line:col', async () => {
    const file = join(directory, 'broken.yaml');
    await writeFile(file, experiment(url).replace('window: 500ms', 'window: forever'));
    const config = join(directory, 'broken-probes.yaml');
    await writeFile(config, `experiments:\n  - file: broken.yaml\n    schedule: "0 * * * * *"\n`);
    const prober = startProcess(PROBER_BIN, { args: ['--config', config, '--metrics-port', '0'] });
    const code = await new Promise((resolve) => {
      const timer = setInterval(() => {
        const failed = prober.lines.find((entry) => String(entry.msg).startsWith('config invalid'));
        if (failed) {
          clearInterval(timer);
          resolve(failed.msg);
        }
      }, 50);
      setTimeout(() => {
        clearInterval(timer);
        resolve('timeout');
      }, 15_000);
    });
    assert.match(String(code), /broken\.yaml:9:\d+: steady_state\.window/);
    await prober.stop('SIGKILL');
  });
});
