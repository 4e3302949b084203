// Unknown fields, which the schema validation of kubernetes-models lets through (its schemas allow
// additional properties) and an API server rejects (kubectl apply validates strictly). A misspelt
// `readinesProbe` would otherwise pass every test here and fail only on a real cluster.
//
// The field lists come from the type declarations kubernetes-models generates from the Kubernetes
// OpenAPI: each interface lists its properties, and names the interface of each nested object.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { root } from './render.ts';

interface TypeInfo {
  /** Property name → declaration file of its object type (also for arrays of it); null: a leaf. */
  properties: Map<string, string | null>;
}

const cache = new Map<string, TypeInfo | null>();
const modules = join(root, 'node_modules');

function declarationFile(specifier: string, from: string): string | undefined {
  const base = specifier.startsWith('.') ? join(dirname(from), specifier) : join(modules, specifier);
  const file = `${base.replace(/\.js$/, '')}.d.ts`;
  return existsSync(file) ? file : undefined;
}

/** The properties of the interface a declaration file exports, or null for aliases (Quantity, …). */
function typeInfo(file: string): TypeInfo | null {
  if (cache.has(file)) return cache.get(file) ?? null;
  const text = readFileSync(file, 'utf8');
  const imports = new Map<string, string>();
  for (const match of text.matchAll(/^import \{ (\w+) \} from "([^"]+)";$/gm)) {
    const target = declarationFile(match[2] as string, file);
    if (target) imports.set(match[1] as string, target);
  }
  const body = /^export interface \w+[^{]*\{\n([\s\S]*?)^\}/m.exec(text)?.[1];
  if (body === undefined) {
    cache.set(file, null);
    return null;
  }
  const properties = new Map<string, string | null>();
  for (const match of body.matchAll(/^ {4}"([^"]+)"\??: (.+)$/gm)) {
    const type = match[2] as string;
    const reference = /^(?:Array<)?(I\w+)>?;$/.exec(type)?.[1];
    properties.set(match[1] as string, (reference && imports.get(reference)) || null);
  }
  const info = { properties };
  cache.set(file, info);
  return info;
}

/** Paths of fields the type does not have, e.g. `spec.template.spec.containers[0].readinesProbe`. */
export function unknownFields(value: unknown, file: string, path = ''): string[] {
  const info = typeInfo(file);
  if (!info || value === null || typeof value !== 'object') return [];
  if (Array.isArray(value))
    return value.flatMap((item, index) => unknownFields(item, file, `${path}[${index}]`));
  const problems: string[] = [];
  for (const [key, child] of Object.entries(value)) {
    const where = path ? `${path}.${key}` : key;
    if (!info.properties.has(key)) {
      problems.push(where);
      continue;
    }
    const childFile = info.properties.get(key);
    if (childFile) problems.push(...unknownFields(child, childFile, where));
  }
  return problems;
}

/** The declaration file of a kubernetes-models class, e.g. ('apps/v1', 'Deployment'). */
export function modelDeclaration(groupVersion: string, kind: string): string {
  const file = join(modules, 'kubernetes-models', groupVersion, `${kind}.d.ts`);
  if (!existsSync(file)) throw new Error(`kubernetes-models has no ${groupVersion}/${kind}`);
  return file;
}
