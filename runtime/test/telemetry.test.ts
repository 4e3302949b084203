// The proof that the telemetry bootstrap works in a real process: spans from the http and undici
// instrumentations, log lines carrying the trace id, logs over OTLP, propagation headers on the wire,
// exemplars on /metrics. Each case runs a fixture app as a child process, because instrumentation only
// works when it is in place before node:http, undici and pino are loaded: the ESM pitfall that the
// bin pattern avoids, and that the last case shows.
import assert from 'node:assert/strict';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  type LogLine,
  type OtlpReceiver,
  type RunningProcess,
  startOtlpReceiver,
  startProcess,
} from '../testing/index.ts';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const TRACED_BIN = fixture('traced-bin.ts');
const STATIC_IMPORT_BIN = fixture('static-import-bin.ts');

// OTLP SpanKind, as numbers in OTLP JSON.
const SPAN_KIND_SERVER = 2;
const SPAN_KIND_CLIENT = 3;
const VALID_TRACE_ID = /^(?!0{32})[0-9a-f]{32}$/;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;

/** The child's environment: none of the runner's OTEL_* settings, only the ones a case gives. */
function environment(otel: Record<string, string>): Record<string, string | undefined> {
  const cleared = Object.fromEntries(
    Object.keys(process.env)
      .filter((name) => name.startsWith('OTEL_') || name === 'LOG_LEVEL')
      .map((name) => [name, undefined]),
  );
  return { ...cleared, OTEL_SERVICE_NAME: 'traced-app', ...otel };
}

interface Run {
  /** The "outgoing done" line: logged inside the /start SERVER span, with the headers /echo saw. */
  done: LogLine;
  /** The "start handled" line, logged in the same span. */
  started: LogLine;
  metricsText: string;
  lines: LogLine[];
  stderr: string[];
  exitCode: number | string;
}

// A failed assertion must not leave a child behind to hold the runner open.
const children: RunningProcess[] = [];
const receivers: OtlpReceiver[] = [];
after(async () => {
  await Promise.all(children.map((app) => app.stop('SIGKILL')));
  await Promise.all(receivers.map((receiver) => receiver.close()));
});

async function receiver(): Promise<OtlpReceiver> {
  const otlp = await startOtlpReceiver();
  receivers.push(otlp);
  return otlp;
}

/** Runs a fixture bin, sends GET /start, scrapes /metrics, then stops it with SIGTERM. */
async function runApp(bin: string, otel: Record<string, string>, stopTimeoutMs = 10_000): Promise<Run> {
  const app = startProcess(bin, { env: environment(otel) });
  children.push(app);
  const listening = await app.waitForLine((line) => line.msg === 'listening', 20_000);
  const response = await fetch(`http://127.0.0.1:${listening.port}/start`);
  assert.equal(response.status, 200, await response.text());
  const done = await app.waitForLine((line) => line.msg === 'outgoing done');
  const started = await app.waitForLine((line) => line.msg === 'start handled');
  const metricsText = await (await fetch(`http://127.0.0.1:${listening.metrics_port}/metrics`)).text();
  // The lifecycle flushes spans and log records before the process exits.
  const exitCode = await app.stop('SIGTERM', stopTimeoutMs);
  return { done, started, metricsText, lines: app.lines, stderr: app.stderr, exitCode };
}

const headersOf = (line: LogLine, client: 'undici' | 'fetch') =>
  line[`${client}_headers`] as Record<string, string | undefined>;

describe('with OTLP endpoints set', () => {
  let otlp: OtlpReceiver;
  let run: Run;
  before(async () => {
    otlp = await receiver();
    run = await runApp(TRACED_BIN, {
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${otlp.url}/v1/logs`,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_BLRP_SCHEDULE_DELAY: '100',
    });
  });

  test('the app exits 0 after SIGTERM, without complaints', () => {
    assert.equal(run.exitCode, 0);
    assert.deepEqual(run.stderr, []);
  });

  test('a SERVER span for the incoming request, with CLIENT spans for undici and fetch as its children', () => {
    const start = otlp.spans.find((span) => span.attributes['url.path'] === '/start');
    assert.ok(start, `no span for /start among ${JSON.stringify(otlp.spans.map((span) => span.name))}`);
    assert.equal(start.kind, SPAN_KIND_SERVER);
    assert.equal(start.parentSpanId, undefined, 'the test sent no traceparent, so it is a root span');
    assert.equal(start.service, 'traced-app', 'OTEL_SERVICE_NAME names the resource');
    assert.equal(start.attributes['http.request.method'], 'GET');
    assert.equal(start.attributes['http.response.status_code'], 200);

    const clients = otlp.spans.filter((span) => span.kind === SPAN_KIND_CLIENT);
    assert.equal(clients.length, 2, 'one CLIENT span for undici.request, one for fetch');
    for (const client of clients) {
      assert.equal(client.traceId, start.traceId);
      assert.equal(client.parentSpanId, start.spanId);
      assert.equal(client.attributes['url.full'], `http://127.0.0.1:${start.attributes['server.port']}/echo`);
    }
  });

  test('the traceparent on the wire names the CLIENT span, and /echo continues the trace', () => {
    const clients = otlp.spans.filter((span) => span.kind === SPAN_KIND_CLIENT);
    for (const client of ['undici', 'fetch'] as const) {
      const traceparent = headersOf(run.done, client).traceparent ?? '';
      const [, traceId, parentId] = TRACEPARENT.exec(traceparent) ?? [];
      const clientSpan = clients.find((span) => span.spanId === parentId);
      assert.ok(clientSpan, `${client}: traceparent ${traceparent} names a CLIENT span`);
      assert.equal(traceId, clientSpan.traceId);
      const echo = otlp.spans.find((span) => span.parentSpanId === clientSpan.spanId);
      assert.equal(echo?.kind, SPAN_KIND_SERVER);
      assert.equal(echo?.attributes['url.path'], '/echo');
    }
  });

  test('log lines on stdout carry the trace_id and span_id of the span they were written in', () => {
    const start = otlp.spans.find((span) => span.attributes['url.path'] === '/start');
    for (const line of [run.started, run.done]) {
      assert.equal(line.trace_id, start?.traceId);
      assert.equal(line.span_id, start?.spanId);
    }
    const listening = run.lines.find((line) => line.msg === 'listening');
    assert.equal(listening?.trace_id, undefined, 'outside a span there is no trace_id');
  });

  test('log records arrive over OTLP with the same trace and span ids', async () => {
    const start = otlp.spans.find((span) => span.attributes['url.path'] === '/start');
    const records = await otlp.waitForLogs((logs) => logs.some((log) => log.body === 'start handled'));
    const record = records.find((log) => log.body === 'start handled');
    assert.equal(record?.traceId, start?.traceId);
    assert.equal(record?.spanId, start?.spanId);
    assert.equal(record?.severityText, 'info');
    assert.equal(record?.service, 'traced-app');
  });

  test('/metrics has an exemplar linking the latency bucket to the trace', () => {
    const start = otlp.spans.find((span) => span.attributes['url.path'] === '/start');
    const bucket = run.metricsText
      .split('\n')
      .find(
        (line) => line.startsWith('traced_app_request_duration_seconds_bucket') && line.includes('trace_id'),
      );
    assert.ok(bucket, 'a bucket with an exemplar');
    assert.match(bucket, /\{le="0\.05",route="\/start"\} 1 # \{trace_id="([0-9a-f]{32})"\} 0\.042 /);
    assert.ok(bucket.includes(`trace_id="${start?.traceId}"`));
  });

  test('scrapes of the admin port make no spans', () => {
    assert.ok(!otlp.spans.some((span) => span.attributes['url.path'] === '/metrics'));
  });
});

describe('with no endpoint set', () => {
  test('spans are still created: valid trace ids in logs, traceparent on the wire, no complaints', async () => {
    const run = await runApp(TRACED_BIN, {});
    assert.match(String(run.started.trace_id), VALID_TRACE_ID);
    for (const client of ['undici', 'fetch'] as const) {
      const [, traceId] = TRACEPARENT.exec(headersOf(run.done, client).traceparent ?? '') ?? [];
      assert.equal(traceId, run.started.trace_id, `${client} propagates the trace`);
    }
    assert.equal(run.exitCode, 0);
    assert.deepEqual(run.stderr, [], 'no export errors, no warnings');
    const listening = run.lines.find((line) => line.msg === 'listening');
    assert.equal(listening?.lean_root, true, 'with no context active, the lean root context is');
  });

  test('only a traces endpoint: spans are exported, logs are not (a trace backend would refuse them)', async () => {
    const otlp = await receiver();
    const run = await runApp(TRACED_BIN, {
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    assert.equal(run.exitCode, 0);
    // The process flushed everything before it exited, so what has not arrived will not.
    assert.ok(otlp.spans.some((span) => span.traceId === run.started.trace_id));
    assert.deepEqual(otlp.logs, []);
  });
});

describe('flushing at exit', () => {
  test('a hung collector does not hold up exit: the flush is bounded', async () => {
    // Accepts connections and never answers, like a collector behind a dead load balancer.
    const sockets: Socket[] = [];
    const hung = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(hung.address() as AddressInfo).port}`;
      // The exporter alone would wait 10 s; without the bound, stop() would have to SIGKILL it at 8 s.
      const run = await runApp(
        TRACED_BIN,
        { OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${url}/v1/logs` },
        8000,
      );
      assert.equal(run.exitCode, 0);
      assert.equal(run.lines.at(-1)?.msg, 'stopped');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => hung.close(resolve));
    }
  });
});

describe('OTEL_PROPAGATORS and samplers', () => {
  const cases: { propagators: string; present: string[]; absent: string[] }[] = [
    { propagators: 'b3', present: ['b3'], absent: ['traceparent', 'uber-trace-id'] },
    { propagators: 'b3multi', present: ['x-b3-traceid', 'x-b3-spanid'], absent: ['traceparent', 'b3'] },
    { propagators: 'jaeger', present: ['uber-trace-id'], absent: ['traceparent', 'b3'] },
    { propagators: 'none', present: [], absent: ['traceparent', 'b3', 'uber-trace-id'] },
  ];
  for (const { propagators, present, absent } of cases) {
    test(`OTEL_PROPAGATORS=${propagators}: ${present.join(', ') || 'no headers'} on the wire`, async () => {
      const run = await runApp(TRACED_BIN, { OTEL_PROPAGATORS: propagators });
      const traceId = String(run.started.trace_id);
      assert.match(traceId, VALID_TRACE_ID, 'spans exist whatever the propagator');
      for (const client of ['undici', 'fetch'] as const) {
        const headers = headersOf(run.done, client);
        for (const name of present) assert.ok(headers[name], `${client} sent ${name}`);
        for (const name of absent) assert.equal(headers[name], undefined, `${client} sent no ${name}`);
        const sent = headers.b3 ?? headers['x-b3-traceid'] ?? headers['uber-trace-id'];
        if (present.length > 0) assert.ok(sent?.startsWith(traceId), `${client}: ${sent} carries ${traceId}`);
      }
      assert.deepEqual(run.stderr, []);
    });
  }

  test('an unknown propagator is a warning on stderr; the known ones still work', async () => {
    const run = await runApp(TRACED_BIN, { OTEL_PROPAGATORS: 'tracecontext,xray' });
    assert.match(headersOf(run.done, 'fetch').traceparent ?? '', TRACEPARENT);
    assert.match(run.stderr.join('\n'), /OTEL_PROPAGATORS: unknown propagator\(s\) xray ignored/);
  });

  test('OTEL_TRACES_SAMPLER=always_off: ids still flow, marked unsampled, and nothing is exported', async () => {
    const otlp = await receiver();
    const run = await runApp(TRACED_BIN, {
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      OTEL_TRACES_SAMPLER: 'always_off',
    });
    assert.equal(run.started.trace_flags, '00');
    assert.match(headersOf(run.done, 'undici').traceparent ?? '', /-00$/);
    assert.deepEqual(otlp.spans, []);
    assert.ok(!run.metricsText.includes('trace_id'), 'no exemplar pointing at a trace that was not kept');
  });
});

describe('OTEL_NODE_DISABLED_INSTRUMENTATIONS', () => {
  test('undici off: the server span and log correlation stay, outgoing calls carry no trace', async () => {
    const run = await runApp(TRACED_BIN, { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'undici' });
    assert.match(String(run.started.trace_id), VALID_TRACE_ID);
    assert.equal(headersOf(run.done, 'undici').traceparent, undefined);
    assert.equal(headersOf(run.done, 'fetch').traceparent, undefined);
  });
});

describe('the ESM pitfall', () => {
  test('control: with static imports the app loads before the SDK has started, and nothing is traced', async () => {
    // static-import-bin.ts imports the telemetry module first, yet the app is loaded (node:http, undici,
    // pino) before the telemetry module runs: the loader hook that patches modules comes too late. What
    // that breaks: no SERVER span for the incoming request, no trace ids on log lines. What it cannot
    // break, and so is not asserted: outgoing fetch()/undici calls, which the undici instrumentation
    // sees through diagnostics_channel whenever the SDK is up, whatever the load order (on some Node 24
    // releases the SDK is up before the first request, on others not). Such spans, if any, are roots:
    // without a server span there is nothing to link them to.
    const otlp = await receiver();
    const run = await runApp(STATIC_IMPORT_BIN, {
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    assert.equal(run.exitCode, 0);
    assert.equal(run.started.trace_id, undefined, 'pino was not patched: no trace_id');
    assert.equal(run.done.trace_id, undefined);
    const servers = otlp.spans.filter((span) => span.kind === SPAN_KIND_SERVER);
    assert.deepEqual(
      servers.map((span) => span.attributes['url.path']),
      [],
      'node:http was not patched: no SERVER span',
    );
    for (const span of otlp.spans) assert.equal(span.parentSpanId, undefined, `${span.name} is a root`);
    for (const client of ['undici', 'fetch'] as const) {
      const [, traceId] = TRACEPARENT.exec(headersOf(run.done, client).traceparent ?? '') ?? [];
      if (traceId !== undefined)
        assert.ok(otlp.spans.some((span) => span.traceId === traceId && span.kind === SPAN_KIND_CLIENT));
    }
  });
});
