// Writes the JSON Schemas that editors use for the YAML configs, from the same zod schemas the services
// validate with. Each workspace lists its schemas in src/schemas.ts as { 'relative/output.json': zodSchema }.
// `--check` fails when a committed schema is out of date (CI runs it).
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ZodType, z } from 'zod';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const workspaces = ['runtime', 'server', 'client', 'proxy'];
let stale = 0;
let written = 0;

for (const workspace of workspaces) {
  const module = join(root, workspace, 'src', 'schemas.ts');
  let schemas: Record<string, { title: string; schema: ZodType }>;
  try {
    ({ schemas } = await import(module));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String(error).includes(module))
      continue;
    throw error;
  }
  for (const [output, { title, schema }] of Object.entries(schemas)) {
    const json = { ...z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }), title };
    const text = `${JSON.stringify(json, null, 2)}\n`;
    const file = join(root, workspace, output);
    const existing = await readFile(file, 'utf8').catch(() => undefined);
    if (existing === text) continue;
    if (check) {
      console.error(`${workspace}/${output} is out of date: run npm run schemas`);
      stale++;
    } else {
      await writeFile(file, text);
      written++;
      console.log(`wrote ${workspace}/${output}`);
    }
  }
}
if (stale > 0) process.exit(1);
if (!check) console.log(`${written} schema file(s) updated`);
