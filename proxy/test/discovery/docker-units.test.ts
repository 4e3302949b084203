import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dockerEndpoint } from '../../src/discovery/docker/docker-host.ts';
import { endpointOf, isServing, matchesLabels, ON_HOST } from '../../src/discovery/docker/endpoint.ts';
import type { InspectedContainer } from '../../src/discovery/docker/types.ts';

describe('DOCKER_HOST', () => {
  it('defaults to /var/run/docker.sock and reads unix:// and tcp:// as the docker CLI does', () => {
    assert.deepEqual(dockerEndpoint(undefined), {
      kind: 'unix',
      socketPath: '/var/run/docker.sock',
      description: 'unix:///var/run/docker.sock',
    });
    assert.equal(
      (dockerEndpoint('unix:///run/podman.sock') as { socketPath: string }).socketPath,
      '/run/podman.sock',
    );
    assert.equal(
      (dockerEndpoint('tcp://10.0.0.2:2375', {}) as { origin: string }).origin,
      'http://10.0.0.2:2375',
    );
    assert.equal((dockerEndpoint('tcp://docker', {}) as { origin: string }).origin, 'http://docker:2375');
    assert.throws(() => dockerEndpoint('tcp://docker:2376', { DOCKER_TLS_VERIFY: '1' }), /TLS/);
    assert.throws(() => dockerEndpoint('npipe:////./pipe/docker_engine'), /expected unix/);
  });
});

describe('container labels and state', () => {
  it('matches when every key=value (or bare key) is present', () => {
    const labels = { app_name: 'payment', env: 'production', canary: '' };
    assert.ok(matchesLabels(labels, ['app_name=payment', 'env=production']));
    assert.ok(matchesLabels(labels, ['canary']));
    assert.ok(!matchesLabels(labels, ['app_name=payment', 'env=staging']));
    assert.ok(!matchesLabels(null, ['app_name=payment']));
  });

  it('serves only running, unpaused containers that are healthy if they have a health check', () => {
    const state = (s: InspectedContainer['State']) => isServing({ Id: 'x', State: s });
    assert.ok(state({ Running: true }));
    assert.ok(state({ Running: true, Health: { Status: 'healthy' } }));
    assert.ok(!state({ Running: true, Health: { Status: 'starting' } }));
    assert.ok(!state({ Running: true, Health: { Status: 'unhealthy' } }));
    assert.ok(!state({ Running: true, Paused: true }));
    assert.ok(!state({ Running: false }));
  });
});

describe('where a container is reached', () => {
  const base: InspectedContainer = {
    Id: 'c1',
    Config: { Labels: {}, ExposedPorts: { '8080/tcp': {}, '53/udp': {}, '9000/tcp': {} } },
    HostConfig: { NetworkMode: 'bridge' },
    NetworkSettings: {
      Networks: {
        bridge: { IPAddress: '172.17.0.5', NetworkID: 'n-bridge' },
        app: { IPAddress: '10.1.0.7', NetworkID: 'n-app' },
      },
      Ports: { '8080/tcp': [{ HostIp: '0.0.0.0', HostPort: '32768' }] },
    },
  };
  const inContainer = (networks: string[]) => ({ inContainer: true, networks: new Set(networks) });

  it('a host-network container: 127.0.0.1 and its port', () => {
    const container = {
      ...base,
      HostConfig: { NetworkMode: 'host' },
      Config: { Labels: { 'rgate.port': '18080' } },
    };
    assert.deepEqual(endpointOf(container, ON_HOST), {
      ok: true,
      host: '127.0.0.1',
      port: 18080,
      via: 'host network',
    });
  });

  it('from a container: the IP on a shared network, at the lowest exposed TCP port (or rgate.port)', () => {
    assert.deepEqual(endpointOf(base, inContainer(['app'])), {
      ok: true,
      host: '10.1.0.7',
      port: 8080,
      via: 'network app',
    });
    assert.deepEqual(endpointOf(base, inContainer(['n-bridge'])), {
      ok: true,
      host: '172.17.0.5',
      port: 8080,
      via: 'network bridge',
    });
    const labelled = { ...base, Config: { ...base.Config, Labels: { 'rgate.port': '9000' } } };
    assert.equal((endpointOf(labelled, inContainer(['app'])) as { port: number }).port, 9000);
    const alone = endpointOf(base, inContainer(['elsewhere']));
    assert.equal(alone.ok, false);
    assert.match((alone as { reason: string }).reason, /shares no network/);
  });

  it('from the host: the published port on loopback, else the container IP', () => {
    assert.deepEqual(endpointOf(base, ON_HOST), {
      ok: true,
      host: '127.0.0.1',
      port: 32768,
      via: 'published port',
    });
    const unpublished = { ...base, NetworkSettings: { ...base.NetworkSettings, Ports: {} } };
    assert.deepEqual(endpointOf(unpublished, ON_HOST), {
      ok: true,
      host: '172.17.0.5',
      port: 8080,
      via: 'network bridge',
    });
  });

  it('skips a container with no port to reach, or a bad rgate.port label, saying why', () => {
    const noPort = { ...base, Config: { Labels: {} }, NetworkSettings: { Networks: {} } };
    assert.match((endpointOf(noPort, ON_HOST) as { reason: string }).reason, /no TCP port/);
    const bad = { ...base, Config: { Labels: { 'rgate.port': 'http' } } };
    assert.match((endpointOf(bad, ON_HOST) as { reason: string }).reason, /not a port/);
  });
});
