// Starts a service's real bin as a child process and reads its JSON log lines, for integration tests.
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

export type LogLine = Record<string, unknown> & { msg?: string; level?: string };

export interface RunningProcess {
  child: ChildProcess;
  /** Every stdout line parsed as JSON (non-JSON lines are kept as { raw }). */
  lines: LogLine[];
  stderr: string[];
  /** Resolves with the first line, old or new, that matches; rejects on timeout or exit. */
  waitForLine(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Sends a signal and resolves with the exit code (or signal name). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | string>;
  exited: Promise<number | string>;
}

export interface StartOptions {
  args?: string[];
  env?: Record<string, string | undefined>;
  cwd?: string;
}

/** Runs `node <script> ...args` with the same node that runs the tests. */
export function startProcess(script: string, options: StartOptions = {}): RunningProcess {
  const child = spawn(process.execPath, [script, ...(options.args ?? [])], {
    cwd: options.cwd,
    env: { ...process.env, LOG_FORMAT: 'json', NODE_OPTIONS: '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout! }).on('line', (text) => {
    try {
      const parsed = JSON.parse(text);
      lines.push(typeof parsed === 'object' && parsed !== null ? parsed : { raw: text });
    } catch {
      lines.push({ raw: text });
    }
    for (const wake of waiters) wake();
  });
  createInterface({ input: child.stderr! }).on('line', (text) => stderr.push(text));
  let exitValue: number | string | undefined;
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      exitValue = code ?? signal ?? -1;
      resolve(exitValue);
    });
  });
  // Waiters give up once the process is gone and all of its output has been read ('close' comes
  // after 'exit' and after the last stdout line).
  let outputClosed = false;
  child.on('close', () => {
    outputClosed = true;
    for (const wake of waiters) wake();
  });
  return {
    child,
    lines,
    stderr,
    exited,
    waitForLine(predicate, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find(predicate);
          if (found) return finish(() => resolve(found));
          if (outputClosed) {
            return finish(() =>
              reject(
                new Error(
                  `process exited (${exitValue}) before the line appeared; stderr: ${stderr.join('\n')}`,
                ),
              ),
            );
          }
        };
        const timer = setTimeout(
          () =>
            finish(() =>
              reject(
                new Error(
                  `no matching line within ${timeoutMs} ms; last lines: ${JSON.stringify(lines.slice(-5))}; stderr: ${stderr.join('\n')}`,
                ),
              ),
            ),
          timeoutMs,
        );
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM', timeoutMs = 10_000) {
      if (exitValue !== undefined) return exitValue;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const value = await exited;
      clearTimeout(timer);
      return value;
    },
  };
}

/** A free TCP port on loopback (bound then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Polls until fn resolves without throwing; rethrows the last error after timeoutMs. */
export async function eventually<T>(
  fn: () => Promise<T> | T,
  timeoutMs = 10_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }
}
