// Fault injection on the real bin: each kind, the header opt-in, the admin API (validation, token,
// expiry) and, with two workers, the same fault in every worker.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually } from '@sre-stack/runtime/testing';
import {
  accessLines,
  type RunningProxy,
  sample,
  startProxy,
  startUpstream,
  type Upstream,
} from '../helpers/proxy.ts';

const config = (upstream: string, fault = '') => `
routes:
  - name: api
    match: { pathPrefix: / }
    upstream: { targets: [${upstream}] }
    policies:
      retry: { retries: 0 }
${fault}
`;

/** Status and fault header of one request on its own connection (so workers share them). */
async function get(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers: { connection: 'close', ...headers } });
  await response.arrayBuffer();
  return { status: response.status, fault: response.headers.get('x-proxy-fault') };
}

const put = (proxy: RunningProxy, route: string, body: unknown, token?: string) =>
  fetch(`${proxy.adminUrl}/faults/${route}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('fault injection (one process)', () => {
  let upstream: Upstream;
  before(async () => {
    upstream = await startUpstream();
  });
  after(() => upstream.stop());

  it('aborts from the file config: status, header, access log, metric; the upstream sees nothing', async () => {
    const proxy = await startProxy(
      config(upstream.url, '      fault: { abort: { percent: 100, status: 503 } }'),
    );
    try {
      const result = await get(`${proxy.url}/status/200?key=abort`);
      assert.deepEqual(result, { status: 503, fault: 'abort' });
      const stats = await upstream.stats();
      assert.equal(stats.hits['/status/200'] ?? 0, 0);
      const line = await eventually(() => {
        const found = accessLines(proxy).at(-1);
        assert.ok(found);
        return found;
      });
      assert.equal(line.decided_by, 'fault');
      assert.equal(
        sample(await proxy.metrics(), 'proxy_faults_injected_total', { route: 'api', kind: 'abort' }),
        1,
      );
    } finally {
      await proxy.stop();
    }
  });

  it('delays by a fixed time and by a range, then forwards', async () => {
    const proxy = await startProxy(config(upstream.url, '      fault: { delay: { duration: 150ms } }'));
    try {
      let started = performance.now();
      assert.deepEqual(await get(`${proxy.url}/status/200`), { status: 200, fault: 'delay' });
      assert.ok(performance.now() - started >= 145);
      const response = await put(proxy, 'api', { delay: { duration: { min: '50ms', max: '80ms' } } });
      assert.equal(response.status, 200);
      started = performance.now();
      assert.deepEqual(await get(`${proxy.url}/status/200`), { status: 200, fault: 'delay' });
      assert.ok(performance.now() - started >= 45);
      const metrics = await proxy.metrics();
      assert.equal(sample(metrics, 'proxy_faults_injected_total', { route: 'api', kind: 'delay' }), 2);
    } finally {
      await proxy.stop();
    }
  });

  it('with a header named, only requests carrying it are affected', async () => {
    const proxy = await startProxy(
      config(upstream.url, '      fault: { abort: { status: 500 }, header: x-chaos }'),
    );
    try {
      assert.deepEqual(await get(`${proxy.url}/status/200`), { status: 200, fault: null });
      assert.deepEqual(await get(`${proxy.url}/status/200`, { 'x-chaos': 'yes' }), {
        status: 500,
        fault: 'abort',
      });
    } finally {
      await proxy.stop();
    }
  });

  it('admin API: GET/PUT/DELETE, 400 naming the field, 404, expiry back to the file', async () => {
    const proxy = await startProxy(config(upstream.url));
    try {
      const empty = await (await fetch(`${proxy.adminUrl}/faults/api`)).json();
      assert.deepEqual(empty, { route: 'api', fault: null, source: null, expires_at: null });
      assert.equal((await fetch(`${proxy.adminUrl}/faults/nope`)).status, 404);
      const badEncoding = await fetch(`${proxy.adminUrl}/faults/%zz`, { method: 'PUT', body: '{}' });
      assert.equal(badEncoding.status, 400);
      assert.match(((await badEncoding.json()) as { error: string }).error, /not valid percent-encoding/);

      for (const [body, field] of [
        ['{not json', '(body)'],
        [{ abort: { percent: 130, status: 503 } }, 'abort.percent'],
        [{ delay: { percent: 50, duration: 'later' } }, 'delay.duration'],
        [{ abort: { status: 503 }, expires_in: 'soon' }, 'expires_in'],
        // Longer than a timer can wait: it would expire at once (or overflow the date).
        [{ abort: { status: 503 }, expires_in: '600h' }, 'expires_in'],
        [{ abort: { status: 503 }, expires_in: '99999999999h' }, 'expires_in'],
      ] as const) {
        const response = await put(proxy, 'api', body);
        assert.equal(response.status, 400);
        const answer = (await response.json()) as { error: string; field: string };
        assert.equal(answer.field, field);
        assert.ok(answer.error.length > 0);
      }

      const response = await put(proxy, 'api', { abort: { percent: 100, status: 502 }, expires_in: '1s' });
      assert.equal(response.status, 200);
      const set = (await response.json()) as { source: string; expires_at: string; fault: unknown };
      assert.equal(set.source, 'admin');
      assert.deepEqual(set.fault, { abort: { percent: 100, status: 502 } });
      assert.ok(Date.parse(set.expires_at) > Date.now());
      assert.equal((await get(`${proxy.url}/status/200`)).status, 502);
      // Expiry heals it: back to no fault.
      await eventually(async () => assert.equal((await get(`${proxy.url}/status/200`)).status, 200), 5000);
      assert.ok(proxy.process.lines.some((line) => line.msg === 'fault expired: back to the config file'));

      assert.equal((await put(proxy, 'api', { abort: { status: 500 } })).status, 200);
      assert.equal((await get(`${proxy.url}/status/200`)).status, 500);
      const deleted = await fetch(`${proxy.adminUrl}/faults/api`, { method: 'DELETE' });
      assert.equal(deleted.status, 204);
      assert.equal((await get(`${proxy.url}/status/200`)).status, 200);
    } finally {
      await proxy.stop();
    }
  });

  it('a configured admin token guards the routes', async () => {
    const proxy = await startProxy(config(upstream.url), { env: { PROXY_ADMIN_TOKEN: 's3cret' } });
    try {
      assert.equal((await fetch(`${proxy.adminUrl}/faults/api`)).status, 401);
      assert.equal((await put(proxy, 'api', { abort: { status: 500 } })).status, 401);
      assert.equal((await put(proxy, 'api', { abort: { status: 500 } }, 'wrong')).status, 401);
      assert.equal((await get(`${proxy.url}/status/200`)).status, 200);
      assert.equal((await put(proxy, 'api', { abort: { status: 500 } }, 's3cret')).status, 200);
      assert.equal((await get(`${proxy.url}/status/200`)).status, 500);
    } finally {
      await proxy.stop();
    }
  });
});

describe('fault injection across workers', () => {
  it('a PUT reaches every worker as a reload does, and so does the DELETE', async () => {
    const upstream = await startUpstream();
    const proxy = await startProxy(config(upstream.url), { workers: 2 });
    const burst = () =>
      Promise.all(Array.from({ length: 20 }, () => get(`${proxy.url}/status/200`).then((r) => r.status)));
    try {
      assert.equal((await put(proxy, 'api', { abort: { percent: 100, status: 503 } })).status, 200);
      await eventually(async () => assert.deepEqual(new Set(await burst()), new Set([503])), 5000);
      const statuses = await burst();
      assert.ok(statuses.every((status) => status === 503));
      const metrics = await proxy.metrics();
      assert.ok((sample(metrics, 'proxy_faults_injected_total', { route: 'api', kind: 'abort' }) ?? 0) >= 20);
      const deleted = await fetch(`${proxy.adminUrl}/faults/api`, { method: 'DELETE' });
      assert.equal(deleted.status, 204);
      await eventually(async () => assert.deepEqual(new Set(await burst()), new Set([200])), 5000);
    } finally {
      await proxy.stop();
      await upstream.stop();
    }
  });
});
