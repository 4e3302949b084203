import type { ServerResponse } from 'node:http';

export { sendJson } from '@sre-stack/runtime';

/** A plain-text answer; the content type the Go original's bodies get from content sniffing. */
export function sendText(
  response: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  const body = text.endsWith('\n') ? text : `${text}\n`;
  response.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  response.end(body);
}
