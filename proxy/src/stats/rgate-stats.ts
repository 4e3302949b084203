// rgate's GET /stats: what the gateway has received so far, in exactly the shape its spec shows:
//   {"requests_count":{"success":N,"error":N},"latency_ms":{"average":N,"p95":N,"p99":N}}
// success = status 200–399, error = 400 and above (499 too: the client left before the answer);
// 1xx are not final answers and are not counted. Latency is the whole request, in whole milliseconds.
import { LatencyRecorder } from './latency-recorder.ts';

export interface RgateStatsBody {
  requests_count: { success: number; error: number };
  latency_ms: { average: number; p95: number; p99: number };
}

export class RgateStats {
  private success = 0;
  private error = 0;
  private readonly latency = new LatencyRecorder();

  record(status: number, durationMs: number): void {
    if (status >= 200 && status < 400) this.success++;
    else if (status >= 400) this.error++;
    else return;
    this.latency.record(durationMs);
  }

  body(): RgateStatsBody {
    const { average, p95, p99 } = this.latency.summary();
    return {
      requests_count: { success: this.success, error: this.error },
      latency_ms: { average, p95, p99 },
    };
  }
}
