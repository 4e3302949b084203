// Bodies stream through both ways without being held: 100 MB each way, generated and counted on the
// fly, while the proxy's resident memory (from its own /metrics) stays where 20 MB bodies left it. And a client that leaves
// aborts the upstream request.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Readable } from 'node:stream';
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

const MB = 1024 * 1024;
const SIZE = 100 * MB;

/** The proxy's peak RSS while `work` runs, sampled from its own /metrics. */
async function peakRss(proxy: RunningProxy, work: () => Promise<void>): Promise<number> {
  const rss = async () => sample(await proxy.metrics(), 'process_resident_memory_bytes') ?? 0;
  let peak = await rss();
  let running = true;
  const sampler = (async () => {
    for (let i = 0; running && i < 600; i++) {
      peak = Math.max(peak, await rss());
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  try {
    await work();
  } finally {
    running = false;
    await sampler;
  }
  return Math.max(peak, await rss());
}

/** PUTs `bytes` generated on the fly to /upload; resolves with the upstream's answer. */
function upload(proxy: RunningProxy, bytes: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const req = request(
      `${proxy.url}/upload`,
      {
        method: 'PUT',
        headers: { 'content-length': String(bytes), 'content-type': 'application/octet-stream' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve(text));
      },
    );
    req.on('error', reject);
    generated(bytes).pipe(req);
  });
}

function generated(bytes: number): Readable {
  const chunk = Buffer.alloc(64 * 1024, 'y');
  let left = bytes;
  return new Readable({
    read() {
      if (left <= 0) return void this.push(null);
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= piece.length;
      this.push(piece);
    },
  });
}

describe('streaming and aborts', () => {
  let upstream: Upstream;
  let proxy: RunningProxy;
  /** Peak RSS while 20 MB went each way: what 100 MB each way is compared with. */
  let warmPeak = 0;

  before(async () => {
    upstream = await startUpstream();
    // A small young generation: RSS then shows what the proxy holds, not garbage the next scavenge
    // would free (V8's default semi-space alone can account for ~50 MB of swing).
    proxy = await startProxy(
      `
routes:
  - name: main
    match: { pathPrefix: / }
    upstream: { targets: [${upstream.url}] }
    policies:
      timeout: 60s
      retry: { retries: 2 }
      circuitBreaker: {}
      rateLimit: { capacity: 1000 }
`,
    );
    // The same traffic, 20 MB each way, first: it loads the code and takes the heap through its GC
    // cycles (each socket read is a fresh 64 KB buffer; V8 collects them in batches of tens of MB).
    // A proxy that held bodies would need five times more for 100 MB; a streaming one, no more.
    warmPeak = await peakRss(proxy, async () => {
      for (let i = 0; i < 2; i++) {
        const response = await fetch(`${proxy.url}/stream?bytes=${20 * MB}`);
        for await (const _chunk of response.body as unknown as AsyncIterable<Uint8Array>);
        await upload(proxy, 20 * MB);
      }
    });
  });

  after(async () => {
    await proxy?.stop();
    await upstream?.stop();
  });

  it('streams a 100 MB response with flat memory', async (t) => {
    let received = 0;
    const peak = await peakRss(proxy, async () => {
      const response = await fetch(`${proxy.url}/stream?bytes=${SIZE}`);
      assert.equal(response.status, 200);
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>)
        received += chunk.length;
    });
    assert.equal(received, SIZE);
    const growth = peak - warmPeak;
    t.diagnostic(
      `proxy peak RSS: ${(warmPeak / MB).toFixed(0)} MB with 20 MB bodies, ${(peak / MB).toFixed(0)} MB with 100 MB`,
    );
    assert.ok(growth < 60 * MB, `RSS grew by ${(growth / MB).toFixed(1)} MB`);
  });

  it('streams a 100 MB upload with flat memory (not buffered: too big to retry)', async (t) => {
    let answer = '';
    const peak = await peakRss(proxy, async () => {
      answer = await upload(proxy, SIZE);
    });
    assert.equal((JSON.parse(answer) as { bytes: number }).bytes, SIZE);
    const growth = peak - warmPeak;
    t.diagnostic(
      `proxy peak RSS: ${(warmPeak / MB).toFixed(0)} MB with 20 MB bodies, ${(peak / MB).toFixed(0)} MB with 100 MB`,
    );
    assert.ok(growth < 60 * MB, `RSS grew by ${(growth / MB).toFixed(1)} MB`);
  });

  it('a client that disconnects aborts the upstream request', async () => {
    const req = request(`${proxy.url}/hang?key=left`);
    req.on('error', () => {});
    req.end();
    await eventually(async () => assert.equal((await upstream.stats()).hits.left, 1));
    req.destroy();
    await eventually(async () => assert.equal((await upstream.stats()).aborts.left, 1));
    const line = await eventually(() => {
      const found = accessLines(proxy).find((entry) => entry.path === '/hang');
      assert.ok(found);
      return found;
    });
    assert.equal(line.status, 499);
    assert.equal(line.decided_by, 'client_abort');
  });

  it('a client that disconnects mid-body aborts the upstream stream', async () => {
    const req = request(`${proxy.url}/stream?bytes=${SIZE}&key=mid`);
    req.on('error', () => {});
    await new Promise<void>((resolve) => {
      req.on('response', (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.end();
    });
    await eventually(async () => assert.equal((await upstream.stats()).aborts.mid, 1));
  });
});
