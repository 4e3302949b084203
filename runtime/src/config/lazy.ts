// yaml and zod, loaded at their first use rather than at import. The runtime's index re-exports the
// config helpers, and a service that reads no config file (the flaky server by default) then loads
// neither: together about 4 MiB of heap and a tenth of its start-up. Both are taken synchronously:
// yaml's Node build is CommonJS, the very instance `import 'yaml'` gets; for zod, require() loads the
// ES module file that `import 'zod'` resolves to, so every schema is built from one copy of zod (its
// CommonJS build would be a second one, whose types the first does not know).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

type Yaml = typeof import('yaml');
type Zod = typeof import('zod').z;

const require = createRequire(import.meta.url);
let yamlModule: Yaml | undefined;
let zodModule: Zod | undefined;

export function yaml(): Yaml {
  yamlModule ??= require('yaml') as Yaml;
  return yamlModule;
}

export function zod(): Zod {
  zodModule ??= (require(fileURLToPath(import.meta.resolve('zod'))) as typeof import('zod')).z;
  return zodModule;
}
