// node-http-proxy with a keep-alive agent (without one it opens a connection per request): a benchmark peer.
import { Agent, createServer, type IncomingMessage, type ServerResponse } from 'node:http';

interface HttpProxy {
  web(req: IncomingMessage, res: ServerResponse): void;
  on(event: 'error', listener: (error: Error, req: IncomingMessage, res: ServerResponse) => void): void;
}
// The package has no type declarations; this is the part used here.
const moduleName = 'http-proxy';
const httpProxy = (await import(moduleName)).default as { createProxyServer(options: object): HttpProxy };

const [upstream, port] = process.argv.slice(2);
const agent = new Agent({ keepAlive: true, maxSockets: 128 });
const proxy = httpProxy.createProxyServer({ target: upstream, agent });
proxy.on('error', (_error, _req, res) => {
  if (!res.headersSent) res.writeHead(502);
  res.end();
});
createServer((req, res) => proxy.web(req, res)).listen(Number(port), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port: Number(port) })}\n`);
});
