// Shared between the SDK bootstrap and the rest of the runtime, without loading the SDK itself.

/** Ports whose requests are telemetry plumbing (scrapes, health checks) and get no spans. */
export const untracedPorts = new Set<number>();

export interface TelemetryState {
  tracesExported: boolean;
  logsExported: boolean;
  shutdown(): Promise<void>;
}

let active: TelemetryState | undefined;

export function setActiveTelemetry(state: TelemetryState): void {
  active = state;
}

/** The started SDK's state; undefined when the process runs without telemetry (tests, --once). */
export function activeTelemetry(): TelemetryState | undefined {
  return active;
}

/**
 * How long shutdown waits for the last spans and log records. The exporter's own timeout is 10 s,
 * which a hung collector would use up entirely, past Docker's default 10 s stop grace period.
 */
export const TELEMETRY_FLUSH_TIMEOUT_MS = 3000;

/** Flushes and stops the SDK if one was started, within a bound; a no-op without telemetry. */
export async function shutdownTelemetry(timeoutMs = TELEMETRY_FLUSH_TIMEOUT_MS): Promise<void> {
  if (!active) return;
  let timer: NodeJS.Timeout | undefined;
  const timeUp = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  try {
    await Promise.race([active.shutdown(), timeUp]);
  } finally {
    clearTimeout(timer);
  }
}
