// The services' Dockerfiles, checked without a Docker engine (dockerfile-ast): multi-stage, pinned
// Node 24 base, production dependencies only, non-root, a HEALTHCHECK that really works.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { readText, repoPath } from './helpers.ts';

const images = [
  { workspace: 'server', bin: 'server/bin/flaky-server.mjs', metricsEnv: 'SERVER_METRICS_PORT', port: 9101 },
  { workspace: 'client', bin: 'client/bin/prober.mjs', metricsEnv: 'PROBER_METRICS_PORT', port: 9103 },
  { workspace: 'proxy', bin: 'proxy/bin/proxy.mjs', metricsEnv: 'PROXY_METRICS_PORT', port: 9102 },
];

function jsonArguments(instruction: Instruction): string[] {
  return JSON.parse(instruction.getArgumentsContent() ?? '[]') as string[];
}

/** Runs a HEALTHCHECK's exec-form command as Docker would; resolves with its exit code. */
function runHealthcheck(command: string[], env: Record<string, string>): Promise<number | null> {
  const [executable, ...args] = command;
  assert.equal(executable, 'node');
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: 'ignore' });
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    }),
  );
}

for (const image of images) {
  describe(`${image.workspace}/Dockerfile`, () => {
    const dockerfile = DockerfileParser.parse(readText(image.workspace, 'Dockerfile'));
    const instructions = dockerfile.getInstructions();
    const froms = dockerfile.getFROMs();
    const stages = froms.map((from) => from.getBuildStage()).filter(Boolean);
    const finalStart = froms.at(-1)?.getRange().start.line ?? 0;
    const finalStage = instructions.filter((instruction) => instruction.getRange().start.line >= finalStart);
    const keyword = (name: string, list = instructions) => list.filter((i) => i.getKeyword() === name);
    const lines = readText(image.workspace, 'Dockerfile').split('\n');
    const textOf = (instruction: Instruction) => lines[instruction.getRange().start.line] ?? '';

    it('is multi-stage: dependencies are installed in a stage of their own', () => {
      assert.ok(froms.length >= 2, 'at least two FROM');
      assert.ok(
        keyword('COPY', finalStage).some((copy) =>
          stages.some((stage) => textOf(copy).includes(`--from=${stage}`)),
        ),
        'the final stage copies from an earlier one',
      );
    });

    it('pins a Node 24 alpine or slim base image by full version', () => {
      for (const from of froms) {
        if (stages.includes(from.getImage() ?? '')) continue;
        assert.equal(from.getImageName(), 'node');
        assert.match(from.getImageTag() ?? '', /^24\.\d+\.\d+-(alpine3\.\d+|(bookworm|trixie)-slim)$/);
      }
    });

    it('installs production dependencies of this workspace and the runtime only, from the lockfile', () => {
      const runs = keyword('RUN').map((run) => run.getRawArgumentsContent() ?? '');
      const install = runs.find((run) => run.includes('npm ci'));
      assert.ok(install, 'npm ci');
      assert.match(install, /--omit=dev/);
      assert.match(install, new RegExp(`--workspace ${image.workspace}\\b`));
      assert.match(install, /--workspace runtime\b/);
      assert.match(install, /--include-workspace-root=false/);
      assert.ok(!runs.some((run) => /npm (install|i)\b/.test(run)), 'no npm install');
    });

    it('runs as a non-root user', () => {
      const users = keyword('USER', finalStage).map((user) => user.getArgumentsContent() ?? '');
      assert.ok(users.length > 0, 'USER in the final stage');
      assert.doesNotMatch(users.at(-1) ?? '', /^(root|0)(:|$)/);
    });

    it('starts the bin with node, no build step', () => {
      const entrypoint = keyword('ENTRYPOINT', finalStage).at(-1);
      assert.ok(entrypoint);
      assert.deepEqual(jsonArguments(entrypoint), ['node', image.bin]);
      assert.ok(existsSync(repoPath(image.bin)), `${image.bin} exists`);
    });

    it("fills Node's compile cache at build time, as the user that runs the service, with its bin", () => {
      const env = keyword('ENV', finalStage).map((instruction) => textOf(instruction));
      assert.ok(
        env.some((line) => /NODE_COMPILE_CACHE=\/app\//.test(line)),
        'NODE_COMPILE_CACHE in /app',
      );
      const warm = keyword('RUN', finalStage).find((run) =>
        (run.getRawArgumentsContent() ?? '').includes('warm-compile-cache.ts'),
      );
      assert.ok(warm, 'a RUN of runtime/src/warm-compile-cache.ts');
      assert.ok((warm.getRawArgumentsContent() ?? '').includes(image.bin), `warms ${image.bin}`);
      // Node keeps the cache per user id: filled by root, it would be missed by the user that runs.
      const users = keyword('USER', finalStage).filter(
        (user) => user.getRange().start.line < warm.getRange().start.line,
      );
      assert.doesNotMatch(users.at(-1)?.getArgumentsContent() ?? 'root', /^(root|0)(:|$)/);
    });

    it('has a HEALTHCHECK that fetches /healthz on the metrics port, and fails when nothing answers', async () => {
      const healthcheck = keyword('HEALTHCHECK', finalStage).at(-1);
      assert.ok(healthcheck, 'HEALTHCHECK in the final stage');
      const raw = healthcheck.getRawArgumentsContent() ?? '';
      const command = JSON.parse(raw.slice(raw.indexOf('CMD') + 3).trim()) as string[];
      assert.ok(command.join(' ').includes(image.metricsEnv), `reads ${image.metricsEnv}`);
      assert.ok(command.join(' ').includes(String(image.port)), `defaults to ${image.port}`);

      const server = createServer((request, response) => {
        response.writeHead(request.url === '/healthz' ? 200 : 404).end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      try {
        assert.equal(await runHealthcheck(command, { [image.metricsEnv]: String(port) }), 0);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
      assert.equal(await runHealthcheck(command, { [image.metricsEnv]: String(port) }), 1);
    });
  });
}

describe('.dockerignore', () => {
  it('keeps node_modules, tests, git history and secrets out of the build context', () => {
    const ignored = readText('.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    for (const pattern of ['**/node_modules', '**/test', '.git', 'certs', '.env', '*.key']) {
      assert.ok(ignored.includes(pattern), `ignores ${pattern}`);
    }
  });
});

describe('docker-compose.yml health checks', () => {
  it('run as written against a listening /healthz', async () => {
    const { readYaml } = await import('./helpers.ts');
    const compose = readYaml<{ services: Record<string, { healthcheck: { test: string[] } }> }>(
      'docker-compose.yml',
    );
    for (const name of ['server', 'proxy', 'client']) {
      const test = compose.services[name]?.healthcheck.test ?? [];
      assert.equal(test[0], 'CMD');
      const script = test.at(-1) ?? '';
      const server = createServer((request, response) => {
        response.writeHead(request.url === '/healthz' ? 200 : 404).end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      try {
        // Same script, pointed at this test's port instead of the service's.
        const local = script.replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${port}`);
        assert.notEqual(local, script);
        assert.equal(await runHealthcheck(['node', '-e', local], {}), 0, `${name}: ${script}`);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    }
  });
});
