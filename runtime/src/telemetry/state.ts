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

/** Flushes and stops the SDK if one was started; a no-op in processes without telemetry. */
export async function shutdownTelemetry(): Promise<void> {
  await active?.shutdown();
}
