// An OTLP/HTTP endpoint that reads and drops what it is sent, for the "spans exported" row: the
// server pays for recording, batching and sending spans, and nothing is kept in the benchmark.
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);
createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{}');
  });
}).listen(port, '127.0.0.1');
