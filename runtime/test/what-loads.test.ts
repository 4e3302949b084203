// What a service pays for at start: the runtime's main entry loads one copy of the OTel API (not its
// CommonJS build beside the ES one, see src/one-otel-api.ts) and neither zod nor yaml, which load at
// the first config parse (src/config/lazy.ts). Checked in a fresh process, which records every module.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';

function modulesLoadedBy(imports: string): string[] {
  const script = `
    import { registerHooks } from 'node:module';
    const loaded = [];
    registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context); } });
    ${imports}
    console.log(JSON.stringify(loaded));
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: new URL('..', import.meta.url),
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout) as string[];
}

describe('what the runtime loads', () => {
  test('the main entry: one OTel API, its ES build, and neither zod nor yaml', () => {
    const loaded = modulesLoadedBy(`await import('@sre-stack/runtime');`);
    const api = loaded.filter((url) => url.includes('/@opentelemetry/api/'));
    assert.ok(api.length > 0, 'the API loads (metrics take exemplars from it)');
    assert.deepEqual(
      api.filter((url) => url.endsWith('.cjs')),
      [],
      'prom-client takes the ES build the services use',
    );
    assert.ok(
      loaded.some((url) => url.includes('/prom-client/lib/metrics/processCpuTotal.js')),
      'the module that asks for the API was loaded',
    );
    assert.deepEqual(
      loaded.filter((url) => /\/node_modules\/(zod|yaml)\//.test(url)),
      [],
      'zod and yaml wait for a config',
    );
  });
});
