// The floor for any proxy on Node's HTTP server and undici: forward, strip hop-by-hop headers, stream
// back, give the upstream connection back when the client leaves, and nothing else (no policies,
// metrics, spans or logs). A benchmark peer: what the proxy's features cost is the distance to this.
import { createServer } from 'node:http';
import { Pool } from 'undici';

const [upstream, port] = process.argv.slice(2);
const pool = new Pool(upstream as string, { connections: 128 });
const HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-connection',
]);

createServer((req, res) => {
  const headers: string[] = [];
  for (const name in req.headers) {
    const value = req.headers[name];
    if (typeof value === 'string' && !HOP.has(name)) headers.push(name, value);
  }
  pool.dispatch(
    { path: req.url ?? '/', method: req.method ?? 'GET', headers, body: null },
    {
      onRequestStart() {},
      onResponseStart(_controller, status, responseHeaders) {
        const head: string[] = [];
        for (const name in responseHeaders) {
          const value = responseHeaders[name];
          if (typeof value === 'string' && !HOP.has(name)) head.push(name, value);
        }
        res.writeHead(status, head);
      },
      onResponseData(controller, chunk) {
        if (res.write(chunk)) return;
        // A client that left never drains: give the upstream connection back instead of holding it
        // paused (after wrk's runs, every pooled connection would end up held that way).
        if (res.destroyed) return controller.abort(new Error('client closed'));
        controller.pause();
        res.once('drain', () => controller.resume());
        res.once('close', () => {
          if (!res.writableFinished) controller.abort(new Error('client closed'));
        });
      },
      onResponseEnd() {
        res.end();
      },
      onResponseError() {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      },
    },
  );
}).listen(Number(port), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port: Number(port) })}\n`);
});
