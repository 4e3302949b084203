// Reads an experiment file (and the probes file its steady state may name) into what the runner needs.
// Every error is a ConfigError with file:line:column, raised before anything runs.
import { loadConfigFile, parseDuration } from '@sre-stack/runtime';
import { toDefinitions } from '../config/definitions.ts';
import { type ProbeConfig, probesFileSchema } from '../config/schema.ts';
import type { Definition } from '../types.ts';
import { DEFAULT_PROBE_TIMEOUT, type ExperimentFile, experimentSchema, type SteadyProbe } from './schema.ts';
import type { Tolerance } from './steady-state.ts';

export interface Experiment {
  file: string;
  config: ExperimentFile;
  definitions: Definition[];
  tolerance: Tolerance;
  /** The planned length: three windows and the pauses; faults expire a minute after it by default. */
  plannedMs: number;
}

export async function loadExperiment(file: string, probesFile?: string): Promise<Experiment> {
  const probes = probesFile ? (await loadConfigFile(probesFile, probesFileSchema)).probes : undefined;
  // Named probes are checked inside the schema, so that a wrong name is reported at its line.
  const schema = experimentSchema.superRefine((experiment, context) => {
    experiment.steady_state.probes.forEach((probe, index) => {
      if (probe.probe === undefined) return;
      const path = ['steady_state', 'probes', index, 'probe'];
      if (!probes)
        context.addIssue({
          code: 'custom',
          path,
          message: 'names a probe: give the probes file with --probes FILE',
        });
      else if (!probes.some((entry) => entry.name === probe.probe))
        context.addIssue({
          code: 'custom',
          path,
          message: `no probe named "${probe.probe}" in ${probesFile} (known: ${probes.map((entry) => entry.name).join(', ') || 'none'})`,
        });
    });
  });
  const config = await loadConfigFile(file, schema);
  const definitions = config.steady_state.probes.map((probe, index) =>
    definitionFor(
      probe,
      index,
      probes?.find((entry) => entry.name === probe.probe),
    ),
  );
  const { tolerance, window } = config.steady_state;
  const pauses = [...config.method, ...config.rollbacks].reduce((sum, step) => sum + (step.pause ?? 0), 0);
  return {
    file,
    config,
    definitions,
    tolerance: {
      ...(tolerance.success_ratio !== undefined ? { successRatio: tolerance.success_ratio } : {}),
      ...(tolerance.p95 !== undefined ? { p95Ms: tolerance.p95 } : {}),
    },
    plannedMs: 3 * window + pauses,
  };
}

/** A steady-state probe as the prober's own probe definition: same runner, spans and logs. */
function definitionFor(probe: SteadyProbe, index: number, base: ProbeConfig | undefined): Definition {
  const timeout = probe.timeout ?? base?.timeout ?? (parseDuration(DEFAULT_PROBE_TIMEOUT) as number);
  const config: ProbeConfig = {
    ...(base ?? { name: `steady-state-${index}`, url: probe.url as string, method: 'GET' }),
    ...(probe.method ? { method: probe.method } : {}),
    ...(probe.headers ? { headers: { ...base?.headers, ...probe.headers } } : {}),
    ...(probe.expect ? { expect: probe.expect } : {}),
    every: probe.every,
    schedule: undefined,
    timeZone: undefined,
    offset: 0,
    timeout,
    failureThreshold: 1,
    successThreshold: 1,
  } as ProbeConfig;
  return toDefinitions({ probes: [config], actions: [] } as never)[0] as Definition;
}
