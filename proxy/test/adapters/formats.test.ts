// The other config formats: detected without being told, read as written, translated onto the
// proxy's own routes. The example files in examples/ are their specs' own, verbatim.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ConfigError, parseConfigText } from '@sre-stack/runtime';
import { parse } from 'yaml';
import { detectFormat } from '../../src/adapters/detect.ts';
import { anyConfigSchema } from '../../src/adapters/index.ts';
import { lbSchema, lbToNative } from '../../src/adapters/lb.ts';
import { nameFromPath, uniqueNames } from '../../src/adapters/names.ts';
import { rgateSchema, rgateToNative } from '../../src/adapters/rgate.ts';
import { sidecarSchema, sidecarToNative } from '../../src/adapters/sidecar.ts';

const example = (name: string) => readFileSync(new URL(`../../../examples/${name}`, import.meta.url), 'utf8');

function errors(text: string, schema: Parameters<typeof parseConfigText>[2]): string[] {
  try {
    parseConfigText(text, 'f.yaml', schema);
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n');
    throw error;
  }
  return [];
}

describe('format detection', () => {
  it('tells the four formats apart by their keys', () => {
    assert.equal(detectFormat(parse(example('sidecar.yaml'))), 'sidecar');
    assert.equal(detectFormat(parse(example('rgate.yml'))), 'rgate');
    assert.equal(detectFormat(parse(example('lb.yaml'))), 'lb');
    assert.equal(detectFormat(parse(example('hello-sre.yaml'))), 'native');
    assert.equal(
      detectFormat(parse(readFileSync(new URL('../../proxy.yaml', import.meta.url), 'utf8'))),
      'native',
    );
  });

  it('reads a document with only a few keys the way its keys suggest', () => {
    assert.equal(detectFormat({ routes: [{ path_prefix: '/a', backend: 'b' }] }), 'rgate');
    assert.equal(detectFormat({ routes: [{ match: { pathPrefix: '/' } }] }), 'native');
    assert.equal(detectFormat({ port: 80, metrics: {} }), 'sidecar');
    assert.equal(detectFormat({}), 'native');
    assert.equal(detectFormat('text'), 'native');
    assert.equal(
      detectFormat({ listen: {}, paths: [] }),
      'native',
      'a native key wins: its typo is reported as such',
    );
  });
});

describe('the sidecar format', () => {
  it('reads the example file verbatim and maps every key', () => {
    const config = parseConfigText(example('sidecar.yaml'), 'sidecar.yaml', sidecarSchema);
    assert.deepEqual(sidecarToNative(config), {
      listen: { port: 80 },
      admin: { port: 9100, metricsPath: '/metrics' },
      routes: [
        {
          name: 'foo',
          match: { path: '/foo*', methods: ['GET'] },
          upstream: { targets: ['http://127.0.0.1:8080'] },
          policies: {
            timeout: '1000ms',
            retry: { retries: 3, on: ['5xx', 'connect-failure', 'reset'], methods: ['GET'] },
            circuitBreaker: { consecutiveFailures: 3, openFor: '5000ms' },
            rateLimit: { capacity: 5000, window: '5000ms', algorithm: 'fixed-window' },
          },
        },
      ],
    });
  });

  it('leaves out what a path does not set, and retries any idempotent method when no method is named', () => {
    const config = parseConfigText(
      'paths:\n  - path: /a\n    forwardPort: 9000\n    maxRetry: 1\n',
      'f',
      sidecarSchema,
    );
    const native = sidecarToNative(config);
    assert.deepEqual(native.routes[0]?.match, { path: '/a' });
    assert.deepEqual(native.routes[0]?.policies, {
      retry: { retries: 1, on: ['5xx', 'connect-failure', 'reset'] },
    });
    assert.equal(native.listen, undefined);
  });

  it('reports unknown keys and bad durations where they are', () => {
    const text = 'port: 80\npaths:\n  - path: /a\n    forwardPort: 9000\n    timeout: soon\n    retries: 2\n';
    assert.deepEqual(errors(text, sidecarSchema), [
      'f.yaml:5:14: paths[0].timeout: write a duration like 3s, 500ms or 1m30s, not "soon"',
      'f.yaml:6:5: paths[0].retries: unknown field "retries"',
    ]);
  });
});

describe('the rgate format', () => {
  it('reads the example file (both blocks in one file) and maps routes, backends and the default', () => {
    const config = parseConfigText(example('rgate.yml'), 'rgate.yml', rgateSchema);
    const native = rgateToNative(config);
    assert.deepEqual(native.stats, { path: '/stats' });
    assert.deepEqual(native.upstreams, {
      payment: {
        discovery: { docker: { labels: ['app_name=payment', 'env=production'] } },
        balancer: 'random',
        unreachableStatus: 503,
      },
      orders: {
        discovery: { docker: { labels: ['app_name=orders', 'env=production'] } },
        balancer: 'random',
        unreachableStatus: 503,
      },
    });
    assert.deepEqual(
      native.routes.map((route) => [
        route.name,
        route.match?.pathPrefix,
        route.upstream,
        route.static?.status,
      ]),
      [
        ['payment', '/api/payment', 'payment', undefined],
        ['orders', '/api/orders', 'orders', undefined],
        ['default_response', undefined, undefined, 403],
      ],
    );
    assert.equal(native.routes[2]?.static?.body, 'This is not reachable');
    assert.deepEqual(native.routes[0]?.rewrite, { forwardedHeaders: ['for'] });
  });

  it('refuses a route to a backend that does not exist, and a label that is not key=value', () => {
    const text =
      'routes:\n  - path_prefix: /a\n    backend: nope\nbackends:\n  - name: b\n    match_labels: ["=x"]\n';
    assert.deepEqual(errors(text, rgateSchema), [
      'f.yaml:6:20: backends[0].match_labels[0]: expected a Docker label as key=value (or a bare key)',
      'f.yaml:3:14: routes[0].backend: no backend named "nope" under backends (known: b)',
    ]);
  });
});

describe('the load-balancer format', () => {
  it('maps services to host-matched routes over random balancing, with failure detection on (panic mode when all are out)', () => {
    const config = parseConfigText(example('lb.yaml'), 'lb.yaml', lbSchema);
    assert.deepEqual(lbToNative(config), {
      listen: { host: '127.0.0.1', port: 8080 },
      routes: [
        {
          name: 'my-service',
          match: { host: 'my-service.my-company.com' },
          upstream: {
            targets: ['http://127.0.0.1:9090', 'http://127.0.0.1:9091'],
            balancer: 'random',
          },
          policies: {
            circuitBreaker: {
              consecutiveFailures: 5,
              openFor: '30s',
              maxOpenFor: '300s',
              whenAllOpen: 'forward',
            },
            retry: { retries: 1, on: ['connect-failure'] },
          },
        },
      ],
    });
  });

  it('binds every interface for an empty address, as the spec says for containers', () => {
    const config = parseConfigText(
      'proxy:\n  listen:\n    address: ""\n    port: 80\n  services: []\n',
      'f',
      lbSchema,
    );
    assert.deepEqual(lbToNative(config).listen, { port: 80 });
  });
});

describe('route names from paths', () => {
  it('are short, valid and unique', () => {
    assert.equal(nameFromPath('/foo*'), 'foo');
    assert.equal(nameFromPath('/*'), 'root');
    assert.equal(nameFromPath('/api/v1/*'), 'api.v1');
    assert.deepEqual(uniqueNames(['a', 'a', 'a-2', 'b']), ['a', 'a-2', 'a-2-2', 'b']);
  });
});

describe('any format, one schema', () => {
  const load = (name: string) => parseConfigText(example(name), name, anyConfigSchema, { env: {} });

  it('turns every example into the native config, defaults filled', () => {
    const sidecar = load('sidecar.yaml');
    assert.equal(sidecar.listen.port, 80);
    assert.deepEqual(sidecar.admin, { port: 9100, metricsPath: '/metrics' });
    const policies = sidecar.routes[0]?.policies as { timeout: number; rateLimit: { algorithm: string } };
    assert.equal(policies.timeout, 1000);
    assert.equal(policies.rateLimit.algorithm, 'fixed-window');

    const rgate = load('rgate.yml');
    assert.deepEqual(rgate.stats, { path: '/stats' });
    assert.equal(rgate.upstreams.payment?.unreachableStatus, 503);
    assert.deepEqual(rgate.upstreams.payment?.targets, []);
    assert.deepEqual(rgate.routes[0]?.rewrite?.forwardedHeaders, ['for']);

    const lb = load('lb.yaml');
    assert.deepEqual(lb.listen, { host: '127.0.0.1', port: 8080 });
    const group = lb.routes[0]?.upstream as { balancer: string; health?: unknown };
    assert.equal(group.balancer, 'random');
    assert.equal(group.health, undefined, 'no health checks unless the file asks');
    assert.deepEqual(lb.routes[0]?.policies.circuitBreaker, {
      consecutiveFailures: 5,
      openFor: 30_000,
      maxOpenFor: 300_000,
      trialTimeout: 5_000,
      whenAllOpen: 'forward',
    });

    const hello = load('hello-sre.yaml');
    assert.equal(hello.tls?.port, 443);
    assert.equal(hello.tls?.redirectHttp, true);
    assert.match(hello.tls?.cert ?? '', /\/certs\/tls\.crt$/, 'relative to the file');
  });

  it('reports errors against the keys the user wrote, in their format', () => {
    assert.deepEqual(errors('paths:\n  - path: /a\n    forwardPort: 99999\n', anyConfigSchema), [
      'f.yaml:3:18: paths[0].forwardPort: must be at most 65535, not 99999',
    ]);
    assert.deepEqual(
      errors('listen: { port: 1 }\nroutes:\n  - static: { body: x }\n    bogus: 1\n', anyConfigSchema),
      ['f.yaml:4:5: routes[0].bogus: unknown field "bogus"'],
    );
  });
});
