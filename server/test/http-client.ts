// A tiny client on node:http, because fetch hides what these tests look at: interim 1xx responses,
// and exact bodies of HEAD/204 answers.
import { request } from 'node:http';

export interface Answer {
  status: number;
  /** The reason phrase of the status line. */
  statusMessage: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Interim (1xx) responses received before the final one. */
  informational: number[];
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Sends the body chunked, without Content-Length. */
  chunked?: boolean;
  timeoutMs?: number;
}

export function send(base: string, path: string, options: SendOptions = {}): Promise<Answer> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const informational: number[] = [];
    const headers = { ...options.headers };
    if (options.body !== undefined && !options.chunked)
      headers['content-length'] = String(Buffer.byteLength(options.body));
    const outgoing = request(
      url,
      { method: options.method ?? 'GET', headers, agent: false, timeout: options.timeoutMs ?? 10_000 },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            statusMessage: response.statusMessage ?? '',
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            informational,
          }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('information', (info) => informational.push(info.statusCode));
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer from ${url} within the timeout`)));
    outgoing.on('error', reject);
    if (options.body !== undefined) outgoing.write(options.body);
    outgoing.end();
  });
}
