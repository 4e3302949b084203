// What the main thread and its worker threads say to each other (structured clone over MessagePorts).
import type { MetricSnapshot } from '@sre-stack/runtime/lean-metrics';
import type { ProxyConfig } from '../config/schema.ts';
import type { SharedStateBuffers } from '../state/state.ts';

/** What a worker thread starts with (its workerData). */
export interface WorkerStart {
  index: number;
  config: ProxyConfig;
  workers: number;
  shared: SharedStateBuffers;
}

export type ToWorker =
  /** Once loaded: listen there (the first worker binds; the others join its port). */
  | { type: 'proxy:listen'; port: number; host: string | undefined; tlsPort: number | undefined }
  /** Reload, first half: compile and report, keep serving the old config. */
  | { type: 'proxy:prepare'; id: number; config: ProxyConfig }
  /** Reload, second half: swap in what was prepared (commit) or drop it (abort). */
  | { type: 'proxy:commit'; id: number }
  | { type: 'proxy:abort'; id: number }
  | { type: 'proxy:metrics'; id: number }
  | { type: 'proxy:shutdown'; deadline: number };

export type ToPrimary =
  /** Loaded and compiled, ready to listen. */
  | { type: 'proxy:loaded' }
  | { type: 'proxy:listening'; port: number; tlsPort: number | undefined }
  | { type: 'proxy:failed'; message: string }
  | { type: 'proxy:prepared'; id: number; ok: boolean; message?: string }
  | { type: 'proxy:metrics'; id: number; metrics: MetricSnapshot[] }
  | { type: 'proxy:stopped'; ok: boolean };

export function isMessage<T extends { type: string }>(value: unknown): value is T {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { type?: unknown }).type === 'string' &&
    (value as { type: string }).type.startsWith('proxy:')
  );
}
