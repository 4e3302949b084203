// chaos_experiment_runs_total{experiment,verdict} and the phase each experiment is in, as a state set
// (1 for the current phase, 0 for the others), so a dashboard can shade the fault window.
import { Counter, gauge, registry } from '@sre-stack/runtime';

export const PHASES = ['steady_state_before', 'method', 'rollbacks', 'steady_state_after', 'idle'] as const;
export type ExperimentPhase = (typeof PHASES)[number];
export const VERDICTS = ['held', 'deviated', 'aborted'] as const;
export type Verdict = (typeof VERDICTS)[number];

// Named without `_total`: the registry renders OpenMetrics, which appends it to the samples.
const runs = new Counter({
  name: 'chaos_experiment_runs',
  help: 'Chaos experiments run to the end, by experiment title and verdict: held, deviated or aborted (could not run).',
  labelNames: ['experiment', 'verdict'] as const,
  registers: [registry],
});

const phase = gauge(
  'chaos_experiment_phase',
  'The phase an experiment is in: 1 for the current one of steady_state_before, method, rollbacks, steady_state_after, idle.',
  ['experiment', 'phase'],
);

export function enterPhase(experiment: string, current: ExperimentPhase): void {
  for (const name of PHASES) phase.set({ experiment, phase: name }, name === current ? 1 : 0);
}

export function recordVerdict(experiment: string, verdict: Verdict): void {
  for (const name of VERDICTS) runs.inc({ experiment, verdict: name }, name === verdict ? 1 : 0);
}
