// The floor for the flaky server: node:http answering GET /status with "OK", the same headers as the
// server's answer, and nothing else (no routing, metrics, span or log line).
// node:http taken as the server takes it: an ES import's module facade would also load Node's internal
// undici (about 12 MiB and 50 ms), which no server here needs, and the floor would not be one.
const { createServer } = process.getBuiltinModule('node:http');

const port = Number(process.argv[2] ?? 0);
const body = 'OK\n';
createServer((_request, response) => {
  response.writeHead(200, 'OK', {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}).listen(port, '127.0.0.1');
