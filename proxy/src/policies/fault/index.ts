// Fault injection (Envoy's fault filter, Chaos Mesh's HTTPChaos): aborts and delays a share of tries,
// optionally only for requests that opt in with a header. It sits innermost, where the upstream would
// answer, so that a route's retries and timeouts meet an injected fault the way they meet a real one:
// an abort is an answer retries may retry, a delay runs against the per-try timeout and the deadline.
// The circuit breaker and health checks judge real targets, so injected faults never count against one.
// The decision itself is rules.ts; this file only adapts it to the pipeline.
import { LeanCounter } from '@sre-stack/runtime/lean-metrics';
import type { Clock } from '../../clock.ts';
import { STATUS_CODES } from '../../http/node-http.ts';
import type { Exchange } from '../../pipeline/exchange.ts';
import { failure, type Outcome, type ResponseOutcome } from '../../pipeline/outcome.ts';
import { definePolicy, type Policy } from '../../pipeline/policy.ts';
import type { AttemptOptions } from '../../pipeline/types.ts';
import { faultConfig } from './config.ts';
import { decide, type FaultRules } from './rules.ts';

export const FAULT_HEADER = 'x-proxy-fault';

const injected = new LeanCounter(
  'proxy_faults_injected_total',
  'Faults injected by the fault policy, by route and kind (abort or delay); counted per try.',
  ['route', 'kind'],
);

export const faultPolicy = definePolicy({
  ...faultConfig,
  // Innermost: after retry (300), right before the balancer and the upstream.
  order: 400,
  create(rules: FaultRules, context): Policy {
    const aborts = injected.child(context.route, 'abort');
    const delays = injected.child(context.route, 'delay');
    const { clock, random, route } = context;
    return {
      async handle(exchange, next, options) {
        const decision = decide(rules, exchange.req.headers, random);
        if (decision.delayMs > 0) {
          delays.inc();
          mark(exchange, 'delay', decision.delayMs);
          exchange.addResponseHeader(FAULT_HEADER, 'delay');
          const cut = await delay(exchange, clock, decision.delayMs, options);
          if (cut !== undefined) return cut;
        }
        if (decision.abortStatus > 0) {
          aborts.inc();
          mark(exchange, 'abort', decision.abortStatus);
          return abortOutcome(exchange, decision.abortStatus, route);
        }
        return next(exchange, options);
      },
    };
  },
});

function mark(exchange: Exchange, kind: 'abort' | 'delay', value: number): void {
  const span = exchange.span;
  if (!span.isRecording()) return;
  span.setAttribute('proxy.fault', kind);
  span.addEvent('fault injected', {
    'proxy.fault.kind': kind,
    ...(kind === 'abort' ? { 'http.response.status_code': value } : { 'proxy.fault.delay_ms': value }),
  });
}

/** Waits like a slow upstream would: cut by the per-try timeout or the deadline, whichever comes first. */
async function delay(
  exchange: Exchange,
  clock: Clock,
  ms: number,
  options: AttemptOptions,
): Promise<Outcome | undefined> {
  const remaining = options.deadlineAt - exchange.clock.now();
  const perTry = options.perTryTimeoutMs;
  const waited = Math.max(0, Math.min(ms, perTry, remaining));
  if (!(await sleep(exchange, clock, waited)))
    return failure('client_abort', 'the client closed the connection');
  if (ms <= waited) return undefined;
  return perTry < remaining
    ? failure('per_try_timeout', `no response within the ${perTry} ms per-try timeout (injected delay)`)
    : failure('deadline', 'the route deadline passed during an injected delay');
}

function sleep(exchange: Exchange, clock: Clock, ms: number): Promise<boolean> {
  if (exchange.clientGone) return Promise.resolve(false);
  return new Promise((resolve) => {
    const handle = clock.setTimeout(() => {
      exchange.whenClientGone(undefined);
      resolve(true);
    }, ms);
    exchange.whenClientGone(() => {
      clock.clearTimeout(handle);
      resolve(false);
    });
  });
}

/** An answer shaped like the upstream's, so that the retry policy treats it as one. */
function abortOutcome(exchange: Exchange, status: number, route: string): ResponseOutcome {
  const body = `${status} ${STATUS_CODES[status] ?? ''}: fault injected by the proxy (route ${route})\n`;
  const headers = {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    [FAULT_HEADER]: 'abort',
  };
  return {
    kind: 'response',
    status,
    headers,
    response: {
      status,
      headers,
      serviceTimeMs: -1,
      commit(committed, head) {
        // Committed as the final answer: the access log and metrics say the fault decided it.
        exchange.decidedBy = 'fault';
        exchange.res.writeHead(committed, head);
        exchange.res.end(body);
      },
      discard() {},
    },
  };
}
