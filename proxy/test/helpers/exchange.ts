// Exchanges for unit tests of policies: a real Exchange over stand-in request and response objects.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../src/clock.ts';
import { Exchange } from '../../src/pipeline/exchange.ts';
import type { Outcome } from '../../src/pipeline/outcome.ts';
import type { CompiledRoute } from '../../src/pipeline/types.ts';

export interface FakeRequest {
  method?: string;
  headers?: Record<string, string>;
  remoteAddress?: string;
}

export function fakeExchange(
  request: FakeRequest = {},
  route: Partial<CompiledRoute> = {},
  clock?: Clock,
): Exchange {
  const req = {
    method: request.method ?? 'GET',
    url: '/',
    headers: request.headers ?? {},
    httpVersion: '1.1',
    socket: { remoteAddress: request.remoteAddress ?? '127.0.0.1' },
  } as unknown as IncomingMessage;
  const res = {} as ServerResponse;
  return new Exchange(
    req,
    res,
    { name: 'test', template: '/*', active: 1, gates: [], ...route } as CompiledRoute,
    '/',
    '/',
    clock,
  );
}

/** The status an outcome would answer with (0 for a transport failure, which the server maps). */
export function statusOf(outcome: Outcome): number {
  return outcome.kind === 'failure' ? 0 : outcome.status;
}
