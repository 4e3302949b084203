import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '@sre-stack/runtime';
import { eventually } from '@sre-stack/runtime/testing';
import { DockerClient } from '../../src/discovery/docker/client.ts';
import { type DiscoveredTarget, DockerDiscovery } from '../../src/discovery/docker/discovery.ts';
import { type FakeDocker, hostContainer, startFakeDocker } from '../helpers/fake-docker.ts';

const logger = createLogger({ service: 'test', level: 'silent' });
const payment = { app_name: 'payment', env: 'production' };

describe('docker discovery (against a stand-in Engine API)', () => {
  let docker: FakeDocker;
  let discovery: DockerDiscovery;
  const seen: string[][] = [];
  const latest = () => seen.at(-1) ?? [];
  const origins = (targets: readonly DiscoveredTarget[]) => targets.map((target) => target.origin);

  before(async () => {
    docker = await startFakeDocker();
    docker.containers.set('p1', hostContainer('p1', payment, 18001));
    docker.containers.set('o1', hostContainer('o1', { app_name: 'orders', env: 'production' }, 18002));
    discovery = new DockerDiscovery({
      client: new DockerClient({ kind: 'unix', socketPath: docker.socketPath, description: 'fake' }),
      logger,
      backoffBaseMs: 20,
      backoffMaxMs: 100,
      debounceMs: 5,
    });
    discovery.watch(['app_name=payment', 'env=production'], (targets) => seen.push(origins(targets)));
    await discovery.start();
  });
  after(async () => {
    await discovery.close();
    await docker.close();
  });

  it('lists the containers carrying every label of the backend, asking the engine to filter', () => {
    assert.deepEqual(latest(), ['http://127.0.0.1:18001']);
    assert.ok(docker.requests.includes('GET /containers/json'));
  });

  it('follows start and die events without polling', async () => {
    await eventually(() => assert.equal(docker.eventConnections, 1), 5000);
    docker.containers.set('p2', hostContainer('p2', payment, 18003));
    docker.emit({ Type: 'container', Action: 'start', Actor: { ID: 'p2', Attributes: payment } });
    await eventually(
      () => assert.deepEqual(latest(), ['http://127.0.0.1:18001', 'http://127.0.0.1:18003']),
      5000,
    );
    (docker.containers.get('p1')!.State as { Running: boolean }).Running = false;
    docker.emit({ Type: 'container', Action: 'die', Actor: { ID: 'p1', Attributes: payment } });
    await eventually(() => assert.deepEqual(latest(), ['http://127.0.0.1:18003']), 5000);
  });

  it('ignores events of containers that concern no backend', async () => {
    const lists = docker.requests.filter((request) => request === 'GET /containers/json').length;
    docker.emit({
      Type: 'container',
      Action: 'start',
      Actor: { ID: 'x', Attributes: { app_name: 'other' } },
    });
    docker.emit({ Type: 'container', Action: 'exec_start: sh', Actor: { ID: 'p2', Attributes: payment } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(docker.requests.filter((request) => request === 'GET /containers/json').length, lists);
  });

  it('reconnects with backoff when the stream ends or fails, and re-lists what it missed', async () => {
    docker.failEvents = true;
    docker.cutEvents();
    // While disconnected, a container starts: no event will say so.
    docker.containers.set('p3', hostContainer('p3', payment, 18004));
    await eventually(
      () => assert.ok(docker.eventConnections >= 3, `${docker.eventConnections} connections`),
      5000,
    );
    docker.failEvents = false;
    await eventually(
      () => assert.deepEqual(latest(), ['http://127.0.0.1:18003', 'http://127.0.0.1:18004']),
      5000,
    );
    const connections = docker.eventConnections;
    await eventually(() => assert.ok(docker.eventConnections > connections), 5000);
    docker.containers.delete('p2');
    docker.emit({ Type: 'container', Action: 'destroy', Actor: { ID: 'p2', Attributes: payment } });
    await eventually(() => assert.deepEqual(latest(), ['http://127.0.0.1:18004']), 5000);
  });

  it('keeps the last known targets when the engine cannot be reached', async () => {
    const client = new DockerClient({
      kind: 'unix',
      socketPath: '/nonexistent/docker.sock',
      description: 'none',
    });
    const lonely = new DockerDiscovery({ client, logger, backoffBaseMs: 10, backoffMaxMs: 20 });
    const updates: string[][] = [];
    lonely.watch(['app_name=payment'], (targets) => updates.push(origins(targets)));
    await lonely.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await lonely.close();
    assert.deepEqual(updates, [], 'no list ever succeeded: no target list was reported');
    assert.deepEqual(lonely.targets(['app_name=payment']), []);
  });
});
