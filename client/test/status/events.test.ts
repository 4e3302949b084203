import assert from 'node:assert/strict';
import { createServer, get, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { EventHub } from '../../src/status/events.ts';

/** Reads `count` status events from an /events stream, then hangs up. */
function readEvents(url: string, count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const events: string[] = [];
    const timer = setTimeout(() => reject(new Error(`only ${events.length} events in 5 s`)), 5000);
    get(url, (response: IncomingMessage) => {
      let buffered = '';
      response.on('close', () => {
        clearTimeout(timer);
        reject(new Error(`the stream closed after ${events.length} events`));
      });
      response.setEncoding('utf8').on('data', (chunk: string) => {
        buffered += chunk;
        const blocks = buffered.split('\n\n');
        buffered = blocks.pop() ?? '';
        for (const block of blocks) {
          const data = block.split('\n').find((line) => line.startsWith('data: '));
          if (data) events.push(data.slice(6));
        }
        if (events.length >= count) {
          clearTimeout(timer);
          response.destroy();
          resolve(events);
        }
      });
    }).on('error', reject);
  });
}

describe('status events', () => {
  it('builds one snapshot for the pages that connect while it is built, and pushes changes in order', async () => {
    let builds = 0;
    let version = 0;
    // The first build lasts until all three pages have asked: they all connect while it is built.
    let requests = 0;
    let allAsked: () => void = () => {};
    const asked = new Promise<void>((resolve) => {
      allAsked = resolve;
    });
    const listeners = new Set<() => void>();
    const hub = new EventHub({
      snapshot: async () => {
        builds++;
        const seen = version;
        await asked;
        return JSON.stringify({ version: seen });
      },
      subscribe: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      onError: (error) => assert.fail(String(error)),
      coalesceMs: 10,
    });
    const server = createServer((request, response) => {
      hub.handle(request, response);
      if (++requests === 3) allAsked();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
    try {
      const pages = [readEvents(url, 2), readEvents(url, 2), readEvents(url, 2)];
      // Once every page has its first snapshot, a change.
      const deadline = Date.now() + 5000;
      while (hub.clients < 3 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(builds, 1, 'three pages, one build');
      version = 1;
      for (const listener of listeners) listener();
      for (const events of await Promise.all(pages)) {
        assert.deepEqual(
          events.map((event) => JSON.parse(event).version),
          [0, 1],
        );
      }
      assert.equal(builds, 2);
    } finally {
      hub.close();
      server.close();
    }
  });
});

describe('status events, hostile or broken', () => {
  it('counts streams still waiting for their first snapshot against the limit', async () => {
    let release: () => void = () => {};
    const built = new Promise<void>((resolve) => {
      release = resolve;
    });
    const hub = new EventHub({
      snapshot: async () => {
        await built;
        return '{}';
      },
      subscribe: () => () => {},
      onError: (error) => assert.fail(String(error)),
      maxClients: 2,
    });
    let asked = 0;
    const server = createServer((request, response) => {
      asked++;
      hub.handle(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
    try {
      const waiting = [readEvents(url, 1), readEvents(url, 1)];
      // Once both are in, and waiting for the snapshot, a third is refused.
      for (let wait = 0; wait < 250 && asked < 2; wait++)
        await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal((await fetch(url)).status, 503);
      release();
      assert.equal((await Promise.all(waiting)).length, 2);
    } finally {
      hub.close();
      server.close();
    }
  });

  it('reports a snapshot that fails, and closes the stream instead of hanging', async () => {
    const errors: unknown[] = [];
    const hub = new EventHub({
      snapshot: async () => {
        throw new Error('broken snapshot');
      },
      subscribe: () => () => {},
      onError: (error) => errors.push(error),
    });
    const server = createServer(hub.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
      await assert.rejects(readEvents(url, 1), /the stream closed after 0 events/);
      assert.equal((errors[0] as Error).message, 'broken snapshot');
      assert.equal(hub.clients, 0);
    } finally {
      hub.close();
      server.close();
    }
  });
});
