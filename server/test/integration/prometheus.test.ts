// The metrics endpoint as a real Prometheus sees it: scraped (up == 1), parsed, and queryable,
// exemplars included.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { eventually, freePort } from '@sre-stack/runtime/testing';
import { send } from '../http-client.ts';
import { type RunningServer, startServer } from './server-process.ts';

const PROMETHEUS = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';
const JOB = 'flaky-server';

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

describe('flaky-server metrics scraped by a real Prometheus', () => {
  let server: RunningServer | undefined;
  let prometheus: ChildProcess | undefined;
  let directory: string | undefined;
  const prometheusLog: string[] = [];

  after(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus?.once('exit', resolve));
      prometheus.kill('SIGTERM');
      const timer = setTimeout(() => prometheus?.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await server?.stop();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('is scraped, and the chaos gauges and request histogram can be queried', async (t) => {
    if (!existsSync(PROMETHEUS)) {
      const reason = `${PROMETHEUS} is not installed (apt-get install prometheus)`;
      if (process.env.CI === 'true') assert.fail(`CI needs Prometheus for this test: ${reason}`);
      t.skip(reason);
      return;
    }
    server = await startServer();
    const metricsPort = new URL(server.metrics).port;
    const port = await freePort();
    directory = await mkdtemp(join(tmpdir(), 'flaky-server-prometheus-'));
    const config = join(directory, 'prometheus.yml');
    await writeFile(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'scrape_configs:',
        `  - job_name: ${JOB}`,
        '    scrape_interval: 1s',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${metricsPort}']`,
        '',
      ].join('\n'),
    );
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(directory, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--enable-feature=exemplar-storage',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    prometheus.stderr?.on('data', (chunk: Buffer) => prometheusLog.push(chunk.toString('utf8')));
    const api = `http://127.0.0.1:${port}`;
    const query = async (expression: string): Promise<Sample[]> => {
      const answer = await send(api, `/api/v1/query?query=${encodeURIComponent(expression)}`, {
        timeoutMs: 5000,
      });
      assert.equal(answer.status, 200, answer.body);
      return JSON.parse(answer.body).data.result;
    };
    const diagnostics = () => `prometheus log tail: ${prometheusLog.join('').slice(-2000)}`;

    await eventually(
      async () => {
        assert.equal(prometheus?.exitCode, null, `prometheus exited; ${diagnostics()}`);
        const up = await query(`up{job="${JOB}"}`);
        assert.equal(up[0]?.value[1], '1', `up is ${JSON.stringify(up)}`);
      },
      60_000,
      250,
    ).catch((error) => assert.fail(`${(error as Error).message}; ${diagnostics()}`));

    // Change the state and make traffic, then wait until a scrape has seen it.
    await send(server.base, '/status/503', { method: 'POST' });
    await send(server.base, '/flaky', { method: 'POST' });
    for (let i = 0; i < 3; i++) await send(server.base, '/status');
    await eventually(
      async () => {
        const [enabled] = await query(`flaky_server_flaky_enabled{job="${JOB}"}`);
        assert.equal(enabled?.value[1], '1');
        const [code] = await query(`flaky_server_configured_status_code{job="${JOB}"}`);
        assert.equal(code?.value[1], '503');
        const [changes] = await query(`sum(flaky_server_chaos_changes_total{job="${JOB}",source="api"})`);
        assert.equal(changes?.value[1], '2');
        const requests = await query(
          `http_server_request_duration_seconds_count{job="${JOB}",route="/status"}`,
        );
        const total = requests.reduce((sum, sample) => sum + Number(sample.value[1]), 0);
        assert.equal(total, 3, JSON.stringify(requests));
        const [ratio] = await query(`flaky_server_chaos_latency_max_seconds{job="${JOB}"}`);
        assert.equal(ratio?.value[1], '0.5');
      },
      30_000,
      250,
    );

    // The exemplars (trace ids on histogram buckets) survive the OpenMetrics scrape.
    await eventually(
      async () => {
        const now = Date.now() / 1000;
        const answer = await send(
          api,
          `/api/v1/query_exemplars?query=${encodeURIComponent('http_server_request_duration_seconds_bucket')}&start=${now - 300}&end=${now + 10}`,
          { timeoutMs: 5000 },
        );
        assert.equal(answer.status, 200, answer.body);
        const series = JSON.parse(answer.body).data as { exemplars: { labels: Record<string, string> }[] }[];
        const traceIds = series.flatMap((entry) =>
          entry.exemplars.map((exemplar) => exemplar.labels.trace_id),
        );
        assert.ok(
          traceIds.some((id) => /^[0-9a-f]{32}$/.test(id ?? '')),
          JSON.stringify(series),
        );
      },
      30_000,
      250,
    );
  });
});
