// The --once report: a table people read in a terminal or a CI log.
import type { RunResult } from '../types.ts';

export function formatTable(results: readonly RunResult[]): string {
  const rows = results.map((result) => [
    result.name,
    result.success ? 'ok' : 'FAIL',
    result.statusCode === undefined ? '-' : String(result.statusCode),
    `${result.durationMs.toFixed(1)} ms`,
    result.success ? '' : `${result.errorType}: ${result.error ?? ''}`,
    `${result.method} ${result.url}`,
  ]);
  const header = ['PROBE', 'RESULT', 'CODE', 'DURATION', 'ERROR', 'REQUEST'];
  const all = [header, ...rows];
  const widths = header.map((_, column) =>
    Math.min(column === 4 ? 60 : 200, Math.max(...all.map((row) => (row[column] ?? '').length))),
  );
  const line = (row: string[]) =>
    row
      .map((cell, column) => {
        const width = widths[column] as number;
        const text = cell.length > width ? `${cell.slice(0, width - 1)}…` : cell;
        return column === row.length - 1 ? text : text.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  const failed = results.filter((result) => !result.success).length;
  const summary = `${results.length} probe${results.length === 1 ? '' : 's'}, ${failed} failed`;
  return [line(header), ...rows.map(line), '', summary].join('\n');
}
