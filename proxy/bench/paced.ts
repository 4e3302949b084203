// A paced load generator for latency at a fixed rate (wrk runs as fast as it can, which says nothing
// about the latency a proxy adds under ordinary load): `rate` requests per second for `seconds`, over
// keep-alive connections, each request's latency taken from dispatch to the end of its body.
import { Pool } from 'undici';

export interface LatencySummary {
  count: number;
  errors: number;
  p50: number;
  p90: number;
  p99: number;
}

export async function paced(url: string, rate: number, seconds: number): Promise<LatencySummary> {
  const target = new URL(url);
  const pool = new Pool(target.origin, { connections: 32 });
  const total = rate * seconds;
  const interval = 1000 / rate;
  const latencies: number[] = [];
  let errors = 0;
  let sent = 0;
  const start = performance.now();
  await new Promise<void>((resolve) => {
    let done = 0;
    const finish = () => {
      if (++done === total) resolve();
    };
    const tick = () => {
      const due = Math.min(total, Math.floor((performance.now() - start) / interval) + 1);
      for (; sent < due; sent++) {
        const began = performance.now();
        pool
          .request({ path: target.pathname, method: 'GET' })
          .then(async (response) => {
            await response.body.dump();
            if (response.statusCode === 200) latencies.push(performance.now() - began);
            else errors++;
          })
          .catch(() => {
            errors++;
          })
          .finally(finish);
      }
      if (sent < total) setTimeout(tick, Math.max(0, interval / 2));
    };
    tick();
  });
  await pool.close();
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return { count: latencies.length, errors, p50: at(0.5), p90: at(0.9), p99: at(0.99) };
}
