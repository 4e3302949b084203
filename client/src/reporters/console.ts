// The prober's runs as a person reads them on a terminal: one short line per run (time, name, status,
// latency, and for a failure its reason), state changes highlighted. It reads the JSON log records
// that log.ts writes, so `npm start` can show them while Loki and `--json` get the full records.

export interface ConsoleStyle {
  color: boolean;
}

type LogRecord = Record<string, unknown>;

const ANSI = { dim: 2, bold: 1, red: 31, green: 32, yellow: 33, cyan: 36, inverse: 7 } as const;

function paint(style: ConsoleStyle, codes: number[], text: string): string {
  return style.color ? `\x1b[${codes.join(';')}m${text}\x1b[0m` : text;
}

/** hh:mm:ss.mmm of the record's ISO time, in UTC like the record itself. */
export function clockTime(record: LogRecord): string {
  const time = typeof record.time === 'string' ? record.time : new Date().toISOString();
  return time.slice(11, 23);
}

function latency(ms: unknown): string {
  if (typeof ms !== 'number') return '';
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

/** Names are padded to this, so statuses and latencies line up for the usual probe names. */
const NAME_WIDTH = 14;

/**
 * One line for a prober record: a probe or action run, or a probe's state change. Undefined for any
 * other record (startup, reloads), which the caller shows its own way.
 */
export function formatProberRecord(record: LogRecord, style: ConsoleStyle): string | undefined {
  const time = paint(style, [ANSI.dim], clockTime(record));
  const kind = record.kind;
  const name = String((kind === 'action' ? record.action : record.probe) ?? '');
  if (kind !== 'probe' && kind !== 'action') return undefined;

  if (typeof record.previous_state === 'string' && typeof record.state === 'string') {
    const down = record.state === 'down';
    const what = down
      ? `▼ ${name} is DOWN after ${record.consecutive_failures} failures in a row`
      : `▲ ${name} is ${String(record.state).toUpperCase()}`;
    return `${time} ${paint(style, down ? [ANSI.bold, ANSI.inverse, ANSI.red] : [ANSI.bold, ANSI.green], what)}`;
  }
  if (typeof record.success !== 'boolean') return undefined;

  const status =
    record.status_code === null || record.status_code === undefined ? '---' : String(record.status_code);
  const columns = `${name.padEnd(NAME_WIDTH)} ${status.padStart(3)} ${latency(record.duration_ms).padStart(8)}`;
  if (record.skipped === 'chaos_pinned')
    return `${time} ${paint(style, [ANSI.yellow], `↷ ${columns}`)}  skipped: chaos is pinned on the server`;
  if (record.success) {
    const mark = kind === 'action' ? paint(style, [ANSI.cyan], '⚡') : paint(style, [ANSI.green], '✓');
    return `${time} ${mark} ${columns}${kind === 'action' ? `  ${String(record.method ?? '')} ${pathOf(record.url)}` : ''}`;
  }
  const reason = `${String(record.error_type ?? 'failed')}: ${String(record.error ?? '')}`.replace(/: $/, '');
  return `${time} ${paint(style, [ANSI.red], `✗ ${columns}`)}  ${paint(style, [ANSI.red], reason)}`;
}

function pathOf(url: unknown): string {
  if (typeof url !== 'string') return '';
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}
