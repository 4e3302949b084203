import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { metricsText, renderMetrics, sendMetrics } from '../src/metrics-text.ts';
import { countLoopTurns } from '../testing/loop-turns.ts';

/** Every kind of metric and label value the services produce, and the awkward ones. */
function filledRegistry(contentType: 'openmetrics' | 'text', series = 3) {
  const registry = new Registry();
  if (contentType === 'openmetrics') registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
  const exemplars = contentType === 'openmetrics';
  const counter = new Counter({
    name: 'things_total',
    help: 'Things, counted.\nSecond line with a \\ backslash.',
    labelNames: ['kind'],
    registers: [registry],
  });
  const gauge = new Gauge({
    name: 'level',
    help: 'A level.',
    labelNames: ['where', 'how'],
    registers: [registry],
  });
  const plainGauge = new Gauge({ name: 'plain', help: 'No labels.', registers: [registry] });
  const histogram = new Histogram({
    name: 'took_seconds',
    help: 'How long.',
    labelNames: ['route'],
    buckets: [0.001, 0.01, 0.1, 1],
    registers: [registry],
    enableExemplars: exemplars,
  });
  const unlabelled = new Histogram({
    name: 'bare_seconds',
    help: 'Bare.',
    buckets: [1],
    registers: [registry],
  });
  for (let i = 0; i < series; i++) {
    counter.inc({ kind: `k${i}` }, i);
    gauge.set({ where: `w"${i}"`, how: 'back\\slash\nnewline' }, i / 3);
    const labels = { route: `r${i}` };
    if (exemplars)
      histogram.observe({ labels, value: i / 100, exemplarLabels: { trace_id: `t${i}` } as never });
    else histogram.observe(labels, i / 100);
  }
  gauge.set({ where: 'nan', how: 'x' }, Number.NaN);
  gauge.set({ where: 'inf', how: 'x' }, Number.POSITIVE_INFINITY);
  gauge.set({ where: '-inf', how: 'x' }, Number.NEGATIVE_INFINITY);
  plainGauge.set(7);
  unlabelled.observe(0.5);
  // A family that is not prom-client's, rendered from get() only (as the proxy's lean families are).
  registry.registerMetric({
    name: 'lean_requests',
    type: 'counter',
    get: async () => ({
      name: 'lean_requests',
      help: 'From get().',
      type: 'counter',
      values: [
        {
          labels: { route: 'a' },
          value: 3,
          exemplar: { labelSet: { trace_id: 'x' }, value: 1, timestamp: 5 },
        },
      ],
      aggregator: 'sum',
    }),
  } as never);
  return registry;
}

describe('metrics text', () => {
  for (const contentType of ['openmetrics', 'text'] as const) {
    test(`renders exactly what prom-client renders (${contentType})`, async () => {
      const registry = filledRegistry(contentType);
      const expected = await registry.metrics();
      assert.equal(await renderMetrics(registry), expected);
      // Twice: prom-client renames counters on the metric object, and the second render must agree.
      assert.equal(await renderMetrics(registry), await registry.metrics());
    });
  }

  test('an empty registry renders as prom-client renders it', async () => {
    const registry = new Registry();
    assert.equal(await renderMetrics(registry), await registry.metrics());
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never);
    assert.equal(await renderMetrics(registry), await registry.metrics());
  });

  test('a large registry comes in slices, with turns of the event loop between them', async () => {
    const registry = filledRegistry('openmetrics', 2000);
    const loop = countLoopTurns();
    let chunks = 0;
    let text = '';
    for await (const chunk of metricsText(registry)) {
      chunks++;
      text += chunk;
    }
    const turns = loop.stop();
    assert.equal(text, await registry.metrics());
    assert.ok(chunks >= 5, `${chunks} chunks for about 20,000 lines`);
    assert.ok(turns >= chunks - 1, `the event loop turned ${turns} times during ${chunks} chunks`);
  });

  test('sendMetrics answers a scrape with the content type and the whole text', async () => {
    const registry = filledRegistry('openmetrics', 500);
    const server = createServer((_request, response) => sendMetrics(registry, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`);
      assert.equal(response.headers.get('content-type'), Registry.OPENMETRICS_CONTENT_TYPE);
      assert.equal(await response.text(), await registry.metrics());
    } finally {
      server.close();
    }
  });
});

test('a collector that fails before the first slice leaves the answer to the caller (no head sent)', async () => {
  const registry = new Registry();
  new Gauge({
    name: 'broken',
    help: 'Its collect throws.',
    registers: [registry],
    collect() {
      throw new Error('collector failed');
    },
  });
  const server = createServer(async (_request, response) => {
    try {
      await sendMetrics(registry, response);
    } catch {
      assert.equal(response.headersSent, false);
      response.writeHead(500).end('failed');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`);
    assert.equal(response.status, 500);
  } finally {
    server.close();
  }
});
