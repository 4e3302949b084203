import assert from 'node:assert/strict';
import { get } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { type AdminServer, createLogger, startAdminServer } from '@sre-stack/runtime';
import { Monitor } from '../../src/monitor.ts';
import { StatusPage } from '../../src/status/status-page.ts';
import { probeDefinition } from '../helpers/definitions.ts';
import { run, T0 } from './helpers.ts';

const logger = createLogger({ service: 'prober', level: 'silent' });

describe('status routes', () => {
  let now = T0;
  const status = new StatusPage({
    logger,
    location: 'test',
    clock: { now: () => now, setTimeout, clearTimeout },
    grafanaUrl: 'http://admin:pw@grafana.test:3000/',
  });
  const monitor = new Monitor({ logger, location: 'test', onResult: status.record });
  const alpha = probeDefinition({
    name: 'alpha',
    url: 'http://user:hunter2@127.0.0.1:9/status?token=abc',
    expect: { maxLatency: '100ms' },
    failureThreshold: 1,
  });
  const beta = probeDefinition({ name: 'beta', url: 'http://127.0.0.1:9/' });
  let admin: AdminServer;
  let base: string;

  before(async () => {
    status.configure(undefined, [alpha, beta]);
    for (const definition of [alpha, beta]) monitor.createHandler(definition);
    admin = await startAdminServer({
      port: 0,
      host: '127.0.0.1',
      logger,
      routes: status.routes(() => monitor.contexts.values()),
    });
    base = `http://127.0.0.1:${admin.port}`;
    const context = monitor.contexts.get('alpha');
    assert.ok(context);
    for (let index = 0; index < 4; index++) {
      const ok = index < 3;
      const result = run(
        alpha,
        T0 + index * 1000,
        ok,
        ok ? {} : { error: '<img src=x onerror=alert(1)>', traceId: 'c'.repeat(32) },
      );
      const transition = context.state.record(ok, result.startedAt);
      context.last = result;
      status.record(alpha, result, transition);
    }
    now = T0 + 5000;
  });
  after(async () => {
    await status.close();
    await admin.close();
  });

  it('serves the page and its files with a strict content security policy', async () => {
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.match(await page.text(), /<script type="module" src="\/status\/app.js">/);
    for (const module of ['card', 'common', 'timeline']) {
      assert.equal((await fetch(`${base}/status/${module}.js`)).status, 200, module);
    }
    const script = await fetch(`${base}/status/app.js`);
    assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.equal((await fetch(`${base}/status/style.css`)).status, 200);
  });

  it('is read-only', async () => {
    for (const path of ['/', '/events', '/badges/alpha/status.svg', '/probes']) {
      assert.equal((await fetch(`${base}${path}`, { method: 'POST' })).status, 405, path);
    }
  });

  it('puts history in /probes, and never a password or token', async () => {
    const response = await fetch(`${base}/probes`);
    const text = await response.text();
    assert.doesNotMatch(text, /hunter2|token=abc|admin:pw/);
    const body = JSON.parse(text);
    const entry = body.probes.find((probe: { name: string }) => probe.name === 'alpha');
    assert.equal(entry.url, 'http://127.0.0.1:9/status?token=[redacted]');
    assert.equal(entry.last_result.url, 'http://127.0.0.1:9/status?token=[redacted]');
    assert.equal(entry.history.uptime_1h, 0.75);
    assert.equal(entry.history.recent.length, 4);
    assert.equal(body.incidents[0].trace_id, 'c'.repeat(32));
    assert.equal(body.grafana_url, 'http://grafana.test:3000');
    assert.equal(
      body.probes.find((probe: { name: string }) => probe.name === 'beta').history.recent.length,
      0,
    );
  });

  it('draws badges, cacheable for a few seconds', async () => {
    const statusBadge = await fetch(`${base}/badges/alpha/status.svg`);
    assert.equal(statusBadge.status, 200);
    assert.equal(statusBadge.headers.get('content-type'), 'image/svg+xml; charset=utf-8');
    assert.equal(statusBadge.headers.get('cache-control'), 'public, max-age=5');
    assert.match(await statusBadge.text(), /aria-label="alpha: down"/);
    assert.match(await (await fetch(`${base}/badges/alpha/uptime.svg?window=24h`)).text(), />75\.0%</);
    assert.match(await (await fetch(`${base}/badges/alpha/uptime.svg?window=1h`)).text(), /uptime 1h/);
    assert.match(await (await fetch(`${base}/badges/alpha/latency.svg`)).text(), />12 ms</);
    assert.match(await (await fetch(`${base}/badges/beta/latency.svg`)).text(), />no data</);
  });

  it('answers 404 with a badge for an unknown probe, without echoing the name', async () => {
    for (const path of [
      '/badges/nope/status.svg',
      '/badges/%3Cscript%3E/status.svg',
      '/badges/%E0%A4%A/status.svg',
      '/badges/alpha/other.svg',
      '/badges/',
    ]) {
      const response = await fetch(`${base}${path}`);
      assert.equal(response.status, 404, path);
      assert.equal(response.headers.get('content-type'), 'image/svg+xml; charset=utf-8');
      const svg = await response.text();
      assert.match(svg, /not found/);
      assert.doesNotMatch(svg, /script|nope/);
    }
    // Names of Object.prototype's members are no window either.
    for (const window of ['7d', 'toString', '__proto__', 'constructor']) {
      const badWindow = await fetch(`${base}/badges/alpha/uptime.svg?window=${window}`);
      assert.equal(badWindow.status, 400, window);
      assert.match(await badWindow.text(), /use 1h or 24h/);
    }
  });

  it('streams the state at /events and pushes each change', async () => {
    const events: string[] = [];
    const request = get(`${base}/events`);
    const response = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      request.on('response', resolve).on('error', reject);
    });
    assert.equal(response.headers['content-type'], 'text/event-stream; charset=utf-8');
    let buffer = '';
    const received = (count: number) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`only ${events.length} events in 5 s`)), 5000);
        const check = () => {
          if (events.length >= count) {
            clearTimeout(timer);
            response.off('data', onData);
            resolve();
          }
        };
        const onData = (chunk: Buffer) => {
          buffer += chunk.toString();
          for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = block.split('\n').find((line) => line.startsWith('data: '));
            if (block.includes('event: status') && data) events.push(data.slice(6));
          }
          check();
        };
        response.on('data', onData);
        check();
      });
    await received(1);
    assert.equal(JSON.parse(events[0] as string).probes.length, 2);
    // Three runs in a row are coalesced into one event.
    for (let index = 0; index < 3; index++)
      status.record(beta, run(beta, T0 + 6000 + index, true), undefined);
    await received(2);
    const latest = JSON.parse(events[1] as string);
    assert.equal(
      latest.probes.find((probe: { name: string }) => probe.name === 'beta').history.recent.length,
      3,
    );
    request.destroy();
  });
});
