// What the primary and its workers say to each other over the cluster IPC channel.
import type { ProxyConfig } from '../config/schema.ts';
import type { MetricSnapshot } from '../telemetry/lean-metrics.ts';

export type ToWorker =
  | {
      type: 'proxy:start';
      config: ProxyConfig;
      port: number;
      host: string | undefined;
      /** The TLS listener's port, when the config has one. */
      tlsPort: number | undefined;
      workers: number;
    }
  | { type: 'proxy:config'; config: ProxyConfig }
  | { type: 'proxy:metrics'; id: number }
  | { type: 'proxy:shutdown' };

export type ToPrimary =
  /** Sent once the worker listens for messages (the cluster's 'online' comes before that). */
  | { type: 'proxy:ready' }
  | { type: 'proxy:listening'; port: number; tlsPort: number | undefined }
  | { type: 'proxy:failed'; message: string }
  | { type: 'proxy:metrics'; id: number; metrics: MetricSnapshot[] }
  | { type: 'proxy:config-failed'; message: string };

export function isMessage<T extends { type: string }>(value: unknown): value is T {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { type?: unknown }).type === 'string' &&
    (value as { type: string }).type.startsWith('proxy:')
  );
}
