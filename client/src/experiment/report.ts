// The readable report: one line per phase, step and check, then the verdict. Written as the run goes,
// so a long pause shows where it is.

import { displayUrl } from '../url/display.ts';
import type { Verdict } from './metrics.ts';
import type { CheckResult } from './steady-state.ts';
import type { StepResult } from './steps.ts';

const PHASE_TITLES: Record<string, string> = {
  steady_state_before: 'steady state before the method',
  method: 'method',
  steady_state_during: 'steady state during the method',
  rollbacks: 'rollbacks',
  steady_state_after: 'steady state after the rollbacks',
};

export function phaseLine(phase: string): string {
  return `\n== ${PHASE_TITLES[phase] ?? phase}`;
}

export function stepLine(step: StepResult): string {
  const mark = step.ok ? 'ok  ' : 'FAIL';
  const status = step.status !== undefined ? ` -> ${step.status}` : '';
  const error = step.error && !step.ok ? `: ${step.error}` : '';
  return `   ${mark} ${redactDescription(step.description)}${status} (${step.durationMs} ms)${error}`;
}

/** URLs as shown everywhere in the prober: without userinfo, sensitive query values replaced. */
export const safeUrl = displayUrl;

function redactDescription(text: string): string {
  return text.replace(/https?:\/\/\S+/g, (url) => safeUrl(url));
}

export function checkLines(check: CheckResult): string[] {
  const ratio = check.successRatio === null ? 'n/a' : check.successRatio.toFixed(3);
  const p95 = check.p95Ms === null ? 'n/a' : `${Math.round(check.p95Ms)} ms`;
  const wanted: string[] = [];
  if (check.tolerance.successRatio !== undefined) wanted.push(`ratio >= ${check.tolerance.successRatio}`);
  if (check.tolerance.p95Ms !== undefined) wanted.push(`p95 <= ${check.tolerance.p95Ms} ms`);
  const verdict = check.interrupted ? 'INTERRUPTED' : check.held ? 'HELD' : 'DEVIATED';
  const lines = [
    `   ${verdict.padEnd(11)} ${check.successes}/${check.runs} runs succeeded, ratio ${ratio}, p95 ${p95}   (tolerance: ${wanted.join(', ')})`,
  ];
  for (const deviation of check.deviations) lines.push(`               ${deviation}`);
  if (!check.held && check.failures.length > 0)
    lines.push(`               first failures: ${check.failures.join(', ')}`);
  return lines;
}

export function verdictLines(title: string, verdict: Verdict, reason: string, exitCode: number): string[] {
  const word = verdict === 'held' ? 'HELD' : verdict === 'deviated' ? 'DEVIATED' : 'ABORTED';
  return ['', `verdict: ${word}: ${title}`, `   ${reason}`, `   exit code ${exitCode}`];
}
