import { dirname, isAbsolute, resolve } from 'node:path';
import type { Node } from 'yaml';
import type { ZodType, z } from 'zod';
import { describeSchemaIssue, describeYamlErrors, unwrapUnionIssues, valueAt } from './errors.ts';
import { yaml, zod } from './lazy.ts';
import { type ConfigLimits, configLimits, sizeIssue, structureIssue } from './limits.ts';
import { pointsAtKey } from './moved.ts';
import { type Env, markSubstituted, SubstitutionError, substitute } from './substitute.ts';

// node:fs's callbacks rather than node:fs/promises: the promises module loads readline and the file
// watchers with it, and its ES module facade the stream modules, all for two calls. A command that only
// reads a config (proxy --check) then loads neither.
const fs = process.getBuiltinModule('node:fs');

/**
 * A config file's text, read only if it is a regular file within the size limit. It is opened without
 * blocking and checked on the open descriptor, so a FIFO (whose open and read would wait forever) or a
 * device such as /dev/zero (which stat calls empty, and which never ends) is refused, never read.
 */
function readRegularFile(file: string, limits: ConfigLimits): Promise<string> {
  return new Promise((resolve, reject) => {
    fs.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK, (openError, fd) => {
      if (openError) return reject(openError);
      const fail = (error: unknown) => fs.close(fd, () => reject(error));
      fs.fstat(fd, (statError, stats) => {
        if (statError) return fail(statError);
        if (!stats.isFile())
          return fail(new ConfigError([{ file, line: 1, column: 1, path: '', message: notAFile(stats) }]));
        // Checked before reading, so a huge file costs nothing.
        const tooLarge = sizeIssue(stats.size, file, limits);
        if (tooLarge) return fail(new ConfigError([tooLarge]));
        fs.readFile(fd, 'utf8', (readError, text) =>
          fs.close(fd, () => (readError ? reject(readError) : resolve(text))),
        );
      });
    });
  });
}

function notAFile(stats: import('node:fs').Stats): string {
  if (stats.isDirectory()) return 'this is a directory, not a file';
  if (stats.isFIFO()) return 'this is a named pipe, not a regular file';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'this is a device, not a regular file';
  return 'this is not a regular file';
}

export interface ConfigIssue {
  file: string;
  line: number;
  column: number;
  /** Field path such as `paths[0].timeout`; empty for the document as a whole. */
  path: string;
  message: string;
}

export function formatIssue(issue: ConfigIssue): string {
  return `${issue.file}:${issue.line}:${issue.column}: ${issue.path ? `${issue.path}: ` : ''}${issue.message}`;
}

/** A config that cannot be used, with every problem located in the file. */
export class ConfigError extends Error {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, index) =>
      typeof key === 'number' ? `[${key}]` : index === 0 ? String(key) : `.${String(key)}`,
    )
    .join('');
}

// Set while a schema runs, so that configPath() can resolve against the file's folder.
let baseDirectory = process.cwd();

/** A path in a config file: relative paths resolve against the config file's directory. */
export function configPath() {
  return zod()
    .string()
    .min(1)
    .transform((path) => (isAbsolute(path) ? path : resolve(baseDirectory, path)));
}

/**
 * A path to a file the service reads (a CA bundle, a certificate, its history), checked when the config
 * loads: it must be a regular file. A named pipe would block the thread that reads it, and a directory
 * would fail later without a position. With `mayBeMissing`, a file the service creates is fine too.
 */
export function regularFile(options: { mayBeMissing?: boolean } = {}) {
  return configPath().superRefine((path, context) => {
    let stats: import('node:fs').Stats | undefined;
    try {
      stats = fs.statSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && options.mayBeMissing) return;
      context.addIssue({ code: 'custom', message: fileProblem(error) });
      return;
    }
    if (!stats.isFile()) context.addIssue({ code: 'custom', message: notAFile(stats) });
  });
}

function fileProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'file not found' : firstLine((error as Error).message);
}

const TYPED_PLAIN_SCALAR = /^(-?\d+(\.\d+)?|true|false|null)$/;

/** A substituted plain scalar typed as YAML would type it; Number() also takes "08080", unlike JSON. */
function typedScalar(value: string): number | boolean | null {
  if (value === 'true' || value === 'false') return value === 'true';
  return value === 'null' ? null : Number(value);
}

export interface ParseOptions {
  env?: Env;
  /** The folder relative paths resolve against; the file's own by default. */
  baseDir?: string;
  /** Size, list and alias bounds; configLimits() (the defaults and CONFIG_MAX_* variables) by default. */
  limits?: ConfigLimits;
}

/**
 * Parses YAML text, substitutes ${VAR}s, validates with the schema; throws ConfigError with positions.
 * Whatever goes wrong, the caller gets a ConfigError, never a bare exception with a stack trace.
 */
export function parseConfigText<S extends ZodType>(
  text: string,
  file: string,
  schema: S,
  options: ParseOptions = {},
): z.output<S> {
  try {
    return parseWithinLimits(text, file, schema, options);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const message = error instanceof RangeError ? 'the file is too deeply nested' : String(error);
    throw new ConfigError([{ file, line: 1, column: 1, path: '', message: firstLine(message) }]);
  }
}

function parseWithinLimits<S extends ZodType>(
  text: string,
  file: string,
  schema: S,
  options: ParseOptions,
): z.output<S> {
  const limits = options.limits ?? configLimits();
  const tooLarge = sizeIssue(Buffer.byteLength(text), file, limits);
  if (tooLarge) throw new ConfigError([tooLarge]);
  const env = options.env ?? process.env;
  const { LineCounter, parseDocument, visit } = yaml();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => lineCounter.linePos(offset);
  const issues: ConfigIssue[] = [];
  // Reworded for people, at the line the fix belongs on (see errors.ts).
  for (const problem of describeYamlErrors([...doc.errors, ...doc.warnings], text, lineCounter))
    issues.push({ file, ...problem, path: '' });
  if (issues.length > 0) throw new ConfigError(issues);
  const tooComplex = structureIssue(doc, lineCounter, file, limits);
  if (tooComplex) throw new ConfigError([tooComplex]);

  const substituted = new Set<string>();
  // Substitute in values only (not keys), after parsing, so positions stay those of the file.
  visit(doc, {
    Scalar(key, node, path) {
      if (key === 'key' || typeof node.value !== 'string') return;
      try {
        const value = substitute(node.value, env);
        if (value === node.value) return;
        if (value !== '') substituted.add(value);
        node.value = node.type === 'PLAIN' && TYPED_PLAIN_SCALAR.test(value) ? typedScalar(value) : value;
      } catch (error) {
        if (!(error instanceof SubstitutionError)) throw error;
        const position = at(node.range?.[0] ?? 0);
        const fieldPath = formatPath(pathOf(path, node));
        issues.push({
          file,
          line: position.line,
          column: position.col,
          path: fieldPath,
          message: error.message,
        });
      }
    },
    // toJS() would throw a bare ReferenceError for an alias without an anchor; locate it instead.
    Alias(_key, node, path) {
      if (node.resolve(doc)) return;
      const position = at(node.range?.[0] ?? 0);
      issues.push({
        file,
        line: position.line,
        column: position.col,
        path: formatPath(pathOf(path, node)),
        message: `alias *${node.source} has no anchor &${node.source} before it`,
      });
    },
  });
  if (issues.length > 0) throw new ConfigError(issues);

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: limits.maxAliases }) ?? {};
  } catch (error) {
    // Alias bombs ("Excessive alias count") are refused by yaml itself; report them like any problem.
    throw new ConfigError([{ file, line: 1, column: 1, path: '', message: (error as Error).message }]);
  }
  const previousBase = baseDirectory;
  baseDirectory = options.baseDir ?? dirname(resolve(file));
  let result: ReturnType<S['safeParse']>;
  try {
    result = schema.safeParse(data) as ReturnType<S['safeParse']>;
  } finally {
    baseDirectory = previousBase;
  }
  if (result.success) {
    markSubstituted(result.data, substituted);
    return result.data as z.output<S>;
  }
  for (const zodIssue of unwrapUnionIssues(result.error.issues)) {
    const extraKeys = 'keys' in zodIssue ? (zodIssue.keys as string[]) : [];
    const targets = extraKeys.length > 0 ? extraKeys.map((key) => [...zodIssue.path, key]) : [zodIssue.path];
    for (const target of targets) {
      const node = nearestNode(
        doc.contents,
        target,
        extraKeys.length > 0 || pointsAtKey(zodIssue) || zodIssue.code === 'invalid_key',
      );
      const position = at(node?.range?.[0] ?? 0);
      issues.push({
        file,
        line: position.line,
        column: position.col,
        path: formatPath(target),
        message:
          extraKeys.length > 0
            ? `unknown field "${String(target.at(-1))}"`
            : describeSchemaIssue(zodIssue, valueAt(data, target)),
      });
    }
  }
  throw new ConfigError(issues);
}

export async function loadConfigFile<S extends ZodType>(
  file: string,
  schema: S,
  options: ParseOptions = {},
): Promise<z.output<S>> {
  return parseConfigText(await readConfigText(file, options.limits), file, schema, options);
}

/** Reads a config file; one that is missing, unreadable or over the size limit is a ConfigError. */
export async function readConfigText(file: string, limits = configLimits()): Promise<string> {
  try {
    return await readRegularFile(file, limits);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw Object.assign(
      new ConfigError([{ file, line: 1, column: 1, path: '', message: fileProblem(error) }]),
      { code },
    );
  }
}

/** The node at a path, or the deepest ancestor that exists (a missing field points at its parent). */
function nearestNode(root: unknown, path: readonly PropertyKey[], wantKey: boolean): Node | undefined {
  const { isMap, isScalar, isSeq } = yaml();
  let node = root as Node | undefined;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && item.key.value === segment);
      if (!pair) return node;
      if (wantKey && i === path.length - 1) return pair.key as Node;
      node = pair.value as Node;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (!item) return node;
      node = item;
    } else {
      return node;
    }
  }
  return node;
}

function pathOf(ancestors: readonly unknown[], leaf: unknown): PropertyKey[] {
  const { isMap, isScalar, isSeq } = yaml();
  const path: PropertyKey[] = [];
  const chain = [...ancestors, leaf];
  for (let i = 0; i < chain.length - 1; i++) {
    const parent = chain[i];
    const child = chain[i + 1];
    if (isSeq(parent)) path.push(parent.items.indexOf(child as Node));
    else if (isMap(parent)) continue;
    else if (child && typeof child === 'object' && 'key' in (parent as object)) {
      const key = (parent as { key: unknown }).key;
      if (isScalar(key)) path.push(String(key.value));
    }
  }
  return path;
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
