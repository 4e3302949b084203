// Docker discovery against a real Docker Engine API (Podman's): list with label filters, then events.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '@sre-stack/runtime';
import { eventually, freePort } from '@sre-stack/runtime/testing';
import { DockerClient } from '../../src/discovery/docker/client.ts';
import { DockerDiscovery } from '../../src/discovery/docker/discovery.ts';
import { dockerEndpoint } from '../../src/discovery/docker/docker-host.ts';
import { type DockerApi, requirePodman, startDockerApi } from '../helpers/podman.ts';

const logger = createLogger({ service: 'test', level: 'silent' });

describe('docker discovery against a real Engine API (podman)', () => {
  let api: DockerApi | undefined;
  let discovery: DockerDiscovery | undefined;
  let targets: string[] = [];
  const followMs: number[] = [];

  before(async () => {
    if (!requirePodmanQuietly()) return;
    api = await startDockerApi();
    discovery = new DockerDiscovery({ client: new DockerClient(dockerEndpoint(api.dockerHost)), logger });
    discovery.watch(['app_name=payment', 'env=production'], (next) => {
      targets = next.map((target) => target.origin);
    });
    await discovery.start();
  });
  after(async () => {
    await discovery?.close();
    await api?.stop();
    if (followMs.length > 0)
      process.stdout.write(`# followed container changes in ${followMs.map(Math.round).join(', ')} ms\n`);
  });

  const timed = async (change: () => Promise<unknown>, expect: () => void) => {
    await change();
    const started = performance.now();
    await eventually(expect, 15_000);
    followMs.push(performance.now() - started);
  };

  it('lists matching containers, follows starts and stops, and reaches them on 127.0.0.1', async (t) => {
    if (!requirePodman(t) || !api) return;
    const [portA, portB, portC] = [await freePort(), await freePort(), await freePort()];
    const payment = { app_name: 'payment', env: 'production' };
    let a = '';
    await timed(
      async () => {
        a = await api!.runWebServer('payment-a', portA, { ...payment, 'rgate.port': String(portA) });
      },
      () => assert.deepEqual(targets, [`http://127.0.0.1:${portA}`]),
    );
    // Same app, other environment: not part of the backend.
    await api.runWebServer('payment-staging', portB, {
      app_name: 'payment',
      env: 'staging',
      'rgate.port': String(portB),
    });
    await timed(
      () => api!.runWebServer('payment-c', portC, { ...payment, 'rgate.port': String(portC) }),
      () =>
        assert.deepEqual(
          [...targets].sort(),
          [`http://127.0.0.1:${portA}`, `http://127.0.0.1:${portC}`].sort(),
        ),
    );
    for (const [port, name] of [
      [portA, 'payment-a'],
      [portC, 'payment-c'],
    ] as const) {
      const body = await eventually(async () => (await fetch(`http://127.0.0.1:${port}/`)).text(), 10_000);
      assert.equal(body, `${name}\n`);
    }
    await timed(
      () => api!.remove(a),
      () => assert.deepEqual(targets, [`http://127.0.0.1:${portC}`]),
    );
  });
});

function requirePodmanQuietly(): boolean {
  try {
    return requirePodman({ skip() {} } as never);
  } catch {
    return false;
  }
}
