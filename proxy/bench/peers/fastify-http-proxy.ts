// @fastify/http-proxy as its README sets it up, logging off: a benchmark peer.
import proxy from '@fastify/http-proxy';
import Fastify from 'fastify';

const [upstream, port] = process.argv.slice(2);
const app = Fastify({ logger: false });
await app.register(proxy, { upstream: upstream as string });
await app.listen({ port: Number(port), host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ msg: 'listening', port: Number(port) })}\n`);
