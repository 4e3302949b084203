// proxy --check through the bin, as a person runs it: every format is still detected and validated, and
// problems still come as file:line:column, field path and message. The check loads only what it needs (a
// format's adapter when a file of that format is read, the policies' config sections without their
// code, zod without its JIT and its other locales), so a lazy path that broke would show here.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PROXY_BIN } from './helpers/proxy.ts';

const root = new URL('../../', import.meta.url).pathname;
const RGATE_BIN = join(root, 'proxy/bin/rgate.mjs');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function check(file: string, bin = PROXY_BIN): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, '--check', '--config', file],
      { timeout: 30_000, env: { ...process.env, OTEL_SDK_DISABLED: 'true' } },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: number }).code ?? -1) : 0;
        resolve({ code: typeof code === 'number' ? code : -1, stdout, stderr });
      },
    );
  });
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'proxy-check-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('proxy --check', () => {
  it('names the format of each shipped example', async () => {
    const expected: Record<string, string> = {
      'proxy/proxy.yaml': 'the proxy format (1 route)',
      'examples/hello-sre.yaml': 'the proxy format (1 route)',
      'examples/sidecar.yaml': 'the sidecar format (1 route)',
      'examples/rgate.yml': 'the rgate format (3 routes)',
      'examples/lb.yaml': 'the load-balancer format (1 route)',
    };
    for (const [name, format] of Object.entries(expected)) {
      const result = await check(join(root, name));
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout.split('\n')[0], `${join(root, name)}: ok, ${format}`);
    }
  });

  it('locates problems in the proxy format, policies included', async () => {
    const path = await file(
      'native.yaml',
      'listen:\n  port: 8000\n  bogus: 1\nroutes:\n  - upstream:\n      targets: [http://127.0.0.1:1]\n    policies:\n      timeout: 5 seconds\n      rateLimit: { capacity: 1, algorithm: leaky }\n',
    );
    const result = await check(path);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.deepEqual(result.stderr.trimEnd().split('\n').sort(), [
      `${path}:3:3: listen.bogus: unknown field "bogus"`,
      `${path}:8:16: routes[0].policies.timeout: write a duration like 3s, 500ms or 1m30s, not "5 seconds"`,
      `${path}:9:44: routes[0].policies.rateLimit.algorithm: "leaky" is not allowed; use one of: token-bucket, fixed-window`,
    ]);
  });

  it('locates problems in the sidecar, rgate and load-balancer formats, in their own keys', async () => {
    const cases = [
      {
        name: 'sidecar.yaml',
        text: 'port: 8080\npaths:\n  - path: /api\n    forwardPort: 99999\n',
        line: ':4:18: paths[0].forwardPort: must be at most 65535, not 99999',
      },
      {
        name: 'rgate.yml',
        text: 'routes:\n  - path_prefix: /api\n    backend: x\nbackends:\n  - name: x\n    url: ftp://x\n',
        line: ':6:5: backends[0].url: unknown field "url"',
      },
      {
        name: 'lb.yaml',
        text: 'proxy:\n  services:\n    - name: a\n      domain: a.test\n      strategy: fastest\n      hosts: []\n',
        line: ':5:17: proxy.services[0].strategy: "fastest" is not allowed; use one of: random, round-robin, least-request',
      },
    ];
    for (const { name, text, line } of cases) {
      const path = await file(name, text);
      const result = await check(path);
      assert.equal(result.code, 1, `${name}: ${result.stdout}`);
      assert.ok(result.stderr.split('\n').includes(path + line), `${name}:\n${result.stderr}`);
    }
  });

  it('answers the same for rgate --check, with a pointer to its help', async () => {
    const good = await check(join(root, 'examples/rgate.yml'), RGATE_BIN);
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, /: ok, the rgate format \(3 routes\)/);
    const bad = await check(await file('bad-rgate.yml', 'backends: 3\n'), RGATE_BIN);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /bad-rgate\.yml:1:11: backends: /);
    assert.match(bad.stderr, /rgate: see 'rgate --help' for the config format\n$/);
  });
});
