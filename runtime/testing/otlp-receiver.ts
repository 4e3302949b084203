// An OTLP/HTTP receiver for tests: decodes what the real exporters send (JSON, optionally gzip) and
// keeps the spans and log records so a test can assert on them.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  service: string;
  attributes: Record<string, unknown>;
  status?: { code?: number; message?: string };
  events: { name: string; attributes: Record<string, unknown> }[];
}

export interface ReceivedLog {
  traceId?: string;
  spanId?: string;
  service: string;
  severityText?: string;
  body: unknown;
  attributes: Record<string, unknown>;
}

interface OtlpKeyValue {
  key: string;
  value: Record<string, unknown>;
}

function anyValue(value: Record<string, unknown> | undefined): unknown {
  if (!value) return undefined;
  if ('stringValue' in value) return value.stringValue;
  if ('intValue' in value) return Number(value.intValue);
  if ('doubleValue' in value) return value.doubleValue;
  if ('boolValue' in value) return value.boolValue;
  if ('arrayValue' in value) {
    return ((value.arrayValue as { values?: Record<string, unknown>[] }).values ?? []).map(anyValue);
  }
  if ('kvlistValue' in value) return attributes((value.kvlistValue as { values?: OtlpKeyValue[] }).values);
  return undefined;
}

function attributes(list: OtlpKeyValue[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, anyValue(value)]));
}

// JSON OTLP encodes ids as hex (the spec); older exporters sent base64. Accept both.
function hexId(id: unknown): string | undefined {
  if (typeof id !== 'string' || id === '') return undefined;
  if (/^[0-9a-f]+$/i.test(id) && (id.length === 32 || id.length === 16)) return id.toLowerCase();
  return Buffer.from(id, 'base64').toString('hex');
}

export interface OtlpReceiver {
  url: string;
  spans: ReceivedSpan[];
  logs: ReceivedLog[];
  /** Waits until a predicate over the received spans holds, polling; rejects after timeoutMs. */
  waitForSpans(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  waitForLogs(predicate: (logs: ReceivedLog[]) => boolean, timeoutMs?: number): Promise<ReceivedLog[]>;
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const logs: ReceivedLog[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let body = Buffer.concat(chunks);
      if (request.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      try {
        const payload = JSON.parse(body.toString('utf8'));
        if (request.url?.endsWith('/v1/traces')) collectSpans(payload, spans);
        else if (request.url?.endsWith('/v1/logs')) collectLogs(payload, logs);
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{}');
      } catch (error) {
        response.writeHead(400, { 'content-type': 'text/plain' });
        response.end(`cannot decode: ${(error as Error).message}`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const waitFor = async <T>(
    items: T[],
    predicate: (items: T[]) => boolean,
    timeoutMs: number,
  ): Promise<T[]> => {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(items)) {
      if (Date.now() > deadline)
        throw new Error(`OTLP receiver: condition not met within ${timeoutMs} ms (${items.length} received)`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return items;
  };
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    logs,
    waitForSpans: (predicate, timeoutMs = 10_000) => waitFor(spans, predicate, timeoutMs),
    waitForLogs: (predicate, timeoutMs = 10_000) => waitFor(logs, predicate, timeoutMs),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

type Json = Record<string, unknown>;

function collectSpans(payload: Json, into: ReceivedSpan[]): void {
  for (const resourceSpans of (payload.resourceSpans as Json[]) ?? []) {
    const resource = attributes((resourceSpans.resource as Json | undefined)?.attributes as OtlpKeyValue[]);
    for (const scopeSpans of (resourceSpans.scopeSpans as Json[]) ?? []) {
      for (const span of (scopeSpans.spans as Json[]) ?? []) {
        into.push({
          traceId: hexId(span.traceId) ?? '',
          spanId: hexId(span.spanId) ?? '',
          parentSpanId: hexId(span.parentSpanId),
          name: String(span.name),
          kind: Number(span.kind),
          service: String(resource['service.name']),
          attributes: attributes(span.attributes as OtlpKeyValue[]),
          status: span.status as ReceivedSpan['status'],
          events: ((span.events as Json[]) ?? []).map((event) => ({
            name: String(event.name),
            attributes: attributes(event.attributes as OtlpKeyValue[]),
          })),
        });
      }
    }
  }
}

function collectLogs(payload: Json, into: ReceivedLog[]): void {
  for (const resourceLogs of (payload.resourceLogs as Json[]) ?? []) {
    const resource = attributes((resourceLogs.resource as Json | undefined)?.attributes as OtlpKeyValue[]);
    for (const scopeLogs of (resourceLogs.scopeLogs as Json[]) ?? []) {
      for (const record of (scopeLogs.logRecords as Json[]) ?? []) {
        into.push({
          traceId: hexId(record.traceId),
          spanId: hexId(record.spanId),
          service: String(resource['service.name']),
          severityText: record.severityText as string | undefined,
          body: anyValue(record.body as Json),
          attributes: attributes(record.attributes as OtlpKeyValue[]),
        });
      }
    }
  }
}
