// Bounds on what a config file may cost to load. Without them a 10 MB file (or a few hundred aliases)
// stalls the event loop for seconds while it parses and validates, at start and at every reload. With
// them a hostile file is refused in milliseconds, before the expensive steps, with one located line.
import type { Document, LineCounter } from 'yaml';
import { yaml } from './lazy.ts';
import type { ConfigIssue } from './load.ts';

export interface ConfigLimits {
  /** Largest file accepted, in bytes (UTF-8). */
  maxBytes: number;
  /** Most items in one list, or keys in one mapping. */
  maxItems: number;
  /** Most alias nodes (*name) in one file. */
  maxAliases: number;
}

export const DEFAULT_CONFIG_LIMITS: Readonly<ConfigLimits> = Object.freeze({
  maxBytes: 1024 * 1024,
  maxItems: 10_000,
  maxAliases: 100,
});

/** The variables that raise or lower the limits for every service (documented in docs/security.md). */
export const CONFIG_LIMIT_VARIABLES = {
  maxBytes: 'CONFIG_MAX_BYTES',
  maxItems: 'CONFIG_MAX_ITEMS',
  maxAliases: 'CONFIG_MAX_ALIASES',
} as const satisfies Record<keyof ConfigLimits, string>;

/**
 * The limits in force: the defaults, each overridden by its variable when that holds a whole number
 * (CONFIG_MAX_BYTES also takes a KiB/MiB suffix: "4MiB"). A malformed value is ignored, so that a typo
 * can never remove a limit.
 */
export function configLimits(env: Record<string, string | undefined> = process.env): ConfigLimits {
  const limits = { ...DEFAULT_CONFIG_LIMITS };
  for (const [field, variable] of Object.entries(CONFIG_LIMIT_VARIABLES) as [keyof ConfigLimits, string][]) {
    const parsed = parseCount(env[variable]);
    if (parsed !== undefined) limits[field] = parsed;
  }
  return limits;
}

function parseCount(text: string | undefined): number | undefined {
  const match = /^\s*(\d+)\s*(KiB|MiB)?\s*$/i.exec(text ?? '');
  if (!match) return undefined;
  const unit = match[2]?.toLowerCase();
  return Number(match[1]) * (unit === 'kib' ? 1024 : unit === 'mib' ? 1024 * 1024 : 1);
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/** The size check, made before anything is parsed (and, for files, before anything is read). */
export function sizeIssue(bytes: number, file: string, limits: ConfigLimits): ConfigIssue | undefined {
  if (bytes <= limits.maxBytes) return undefined;
  return {
    file,
    line: 1,
    column: 1,
    path: '',
    message: `the file is ${formatBytes(bytes)}, larger than the limit of ${formatBytes(limits.maxBytes)} (${CONFIG_LIMIT_VARIABLES.maxBytes} raises it)`,
  };
}

/**
 * The first list or mapping longer than the limit, or the alias past the limit, located in the file.
 * Runs on the parsed document before aliases are expanded and before validation.
 */
export function structureIssue(
  doc: Document,
  lineCounter: LineCounter,
  file: string,
  limits: ConfigLimits,
): ConfigIssue | undefined {
  const { isAlias, isCollection, isMap, visit } = yaml();
  let aliases = 0;
  let found: ConfigIssue | undefined;
  const at = (offset: number | undefined, message: string): ConfigIssue => {
    const position = lineCounter.linePos(offset ?? 0);
    return { file, line: position.line, column: position.col, path: '', message };
  };
  visit(doc, (_key, node) => {
    if (isAlias(node) && ++aliases > limits.maxAliases) {
      found = at(
        node.range?.[0],
        `more than ${limits.maxAliases} aliases in one file (${CONFIG_LIMIT_VARIABLES.maxAliases} raises the limit)`,
      );
      return visit.BREAK;
    }
    if (isCollection(node) && node.items.length > limits.maxItems) {
      found = at(
        node.range?.[0],
        `${node.items.length} items in one ${isMap(node) ? 'mapping' : 'list'}, more than the limit of ${limits.maxItems} (${CONFIG_LIMIT_VARIABLES.maxItems} raises it)`,
      );
      return visit.BREAK;
    }
    return undefined;
  });
  return found;
}
