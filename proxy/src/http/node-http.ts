// node:http without its ES module facade: the facade reads every export, and the lazy ones (WebSocket,
// EventSource) load Node's internal copy of undici, about 12 MiB and 50 ms in every process and worker
// thread, and in `proxy --check`, which serves nothing.
const http = process.getBuiltinModule('node:http');

export const { createServer, STATUS_CODES } = http;
