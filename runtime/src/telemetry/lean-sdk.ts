// Loads @opentelemetry/sdk-node without the parts this project never uses. Its entry module imports every
// exporter it can build from environment variables: OTLP over gRPC (with @grpc/grpc-js and protobufjs),
// OTLP/protobuf, Prometheus, Zipkin, the metrics SDK and the declarative-config loader. We hand NodeSDK
// our own span and log processors, so none of those is ever constructed, yet loading them costs about
// 0.3 s and 20 MiB in every process. While sdk-node loads, a synchronous resolve hook answers the
// imports *sdk-node itself* makes of those packages with a placeholder module; anything else in the
// process that imports them (our own lazy OTLP/HTTP exporter, say) gets the real package.
import { readFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';

/** What NodeSDK may import but never runs with the processors and readers we give it. */
const UNUSED = [
  /^@opentelemetry\/exporter-/,
  /^@opentelemetry\/otlp-/,
  /^@opentelemetry\/configuration$/,
  /^@opentelemetry\/sdk-metrics$/,
];
const PLACEHOLDER = 'sre-stack-placeholder:';

/** The named imports `importer` makes from `specifier`, read from its source (one dist file). */
function importedNames(importer: string, specifier: string): string[] {
  const source = readFileSync(fileURLToPath(importer), 'utf8');
  const names = new Set<string>();
  const pattern = /import\s*\{([^}]*)\}\s*from\s*["']([^"']+)["']/g;
  for (const [, list, from] of source.matchAll(pattern)) {
    if (from !== specifier) continue;
    for (const entry of (list ?? '').split(',')) {
      const name = entry
        .trim()
        .split(/\s+as\s+/)[0]
        ?.trim();
      if (name) names.add(name);
    }
  }
  return [...names];
}

function placeholderSource(specifier: string, names: string[]): string {
  // A stand-in that fails loudly if NodeSDK ever takes a path we assumed it would not.
  const lines = [
    'function placeholder(name) {',
    `  const fail = function () { throw new Error(${JSON.stringify(specifier)} + ": " + name + " is not loaded (see runtime/src/telemetry/lean-sdk.ts)"); };`,
    '  return fail;',
    '}',
    ...names.map((name) => `export const ${name} = placeholder(${JSON.stringify(name)});`),
  ];
  return lines.join('\n');
}

export async function importLeanNodeSdk(): Promise<typeof import('@opentelemetry/sdk-node')> {
  const hooks = registerHooks({
    resolve(specifier, context, nextResolve) {
      const parent = context.parentURL ?? '';
      if (parent.includes('/@opentelemetry/sdk-node/') && UNUSED.some((pattern) => pattern.test(specifier))) {
        const query = new URLSearchParams({ specifier, parent });
        return { url: `${PLACEHOLDER}?${query}`, format: 'module', shortCircuit: true };
      }
      return nextResolve(specifier, context);
    },
    load(url, context, nextLoad) {
      if (!url.startsWith(PLACEHOLDER)) return nextLoad(url, context);
      const query = new URLSearchParams(url.slice(url.indexOf('?') + 1));
      const specifier = query.get('specifier') ?? '';
      const names = importedNames(query.get('parent') ?? '', specifier);
      return { format: 'module', source: placeholderSource(specifier, names), shortCircuit: true };
    },
  });
  try {
    return await import('@opentelemetry/sdk-node');
  } finally {
    hooks.deregister();
  }
}
