// The cron package reports missed deadlines with console.warn. Route those lines to the logger (as
// structured warnings naming the job) and tell the job when a run was skipped, so it is counted.
import type { Logger } from '@sre-stack/runtime';

type SkipHandler = () => void;

const skipHandlers = new Map<string, SkipHandler>();
let routedTo: Logger | undefined;
const JOB_NAME = /for job "([^"]*)"/;

export function onCronSkip(jobName: string, handler: SkipHandler): () => void {
  skipHandlers.set(jobName, handler);
  return () => {
    if (skipHandlers.get(jobName) === handler) skipHandlers.delete(jobName);
  };
}

export function routeCronWarnings(logger: Logger): void {
  const first = routedTo === undefined;
  routedTo = logger;
  if (!first) return;
  const original = console.warn.bind(console);
  console.warn = (...args: unknown[]) => {
    const message = typeof args[0] === 'string' ? args[0] : '';
    if (!message.startsWith('[Cron]') || !routedTo) return original(...args);
    const name = JOB_NAME.exec(message)?.[1];
    const skipped = message.includes('Skipping execution');
    routedTo.warn({ job: name, skipped }, message.replace(/^\[Cron\]\s*/, 'cron: '));
    if (skipped && name !== undefined) skipHandlers.get(name)?.();
  };
}
