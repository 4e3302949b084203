import type { ServerResponse } from 'node:http';
import { sendJson as runtimeSendJson } from '@sre-stack/runtime';
import { statusText } from '../status-codes.ts';

/**
 * A plain-text answer, with the content type Go's content sniffing gives the original's bodies and
 * Go's reason phrase on the status line ("413 Request Entity Too Large", where Node says "Payload Too Large").
 */
export function sendText(
  response: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  const body = text.endsWith('\n') ? text : `${text}\n`;
  response.writeHead(status, statusText(status) || undefined, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  response.end(body);
}

/** The runtime's JSON answer, with Go's reason phrase on the status line like every other answer here. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const phrase = statusText(status);
  if (phrase) response.statusMessage = phrase;
  runtimeSendJson(response, status, body);
}
