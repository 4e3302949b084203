// The small JSON path subset assertions need: $, .key, ['key'], ["key"], [index]. "status.code" works too.

const SEGMENT = /\.([^.[\]]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/y;

export function parseJsonPath(path: string): (string | number)[] | undefined {
  let text = path.trim();
  if (text.startsWith('$')) text = text.slice(1);
  else if (text !== '' && !text.startsWith('.') && !text.startsWith('[')) text = `.${text}`;
  const segments: (string | number)[] = [];
  SEGMENT.lastIndex = 0;
  while (SEGMENT.lastIndex < text.length) {
    const start = SEGMENT.lastIndex;
    const match = SEGMENT.exec(text);
    if (!match || match.index !== start) return undefined;
    if (match[2] !== undefined) segments.push(Number(match[2]));
    else segments.push((match[1] ?? match[3] ?? match[4]) as string);
  }
  return segments;
}

/** The value at the path, or `found: false` when some segment is missing. */
export function readJsonPath(value: unknown, path: string): { found: boolean; value?: unknown } {
  const segments = parseJsonPath(path);
  if (!segments) return { found: false };
  let current = value;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object') return { found: false };
    if (typeof segment === 'number' && !Array.isArray(current)) return { found: false };
    if (!Object.hasOwn(current, segment)) return { found: false };
    current = (current as Record<string | number, unknown>)[segment];
  }
  return { found: true, value: current };
}
