// Route names for formats that have none: the `route` label must be short, stable and readable, so it
// is made from what the format does have (a path glob, a backend or service name).

const ALLOWED = /[^A-Za-z0-9_.:-]+/g;

/** "/api/v1/*" → "api.v1"; "/*" → "root"; anything else reduced to the characters a name allows. */
export function nameFromPath(path: string): string {
  const name = path
    .replace(/\*/g, '')
    .split('/')
    .filter(Boolean)
    .join('.')
    .replace(ALLOWED, '_')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 63);
  return name === '' ? 'root' : name;
}

/** A valid name from free text (a backend or service name), or `fallback` when nothing is left. */
export function nameFromText(text: string, fallback: string): string {
  const name = text
    .replace(ALLOWED, '_')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 63);
  return name === '' ? fallback : name;
}

/** Makes every name unique: a repeated one gets -2, -3, ... (skipping names already taken). */
export function uniqueNames(names: readonly string[]): string[] {
  const taken = new Set<string>();
  return names.map((name) => {
    let candidate = name;
    for (let count = 2; taken.has(candidate); count++) {
      const suffix = `-${count}`;
      candidate = name.slice(0, 63 - suffix.length) + suffix;
    }
    taken.add(candidate);
    return candidate;
  });
}
