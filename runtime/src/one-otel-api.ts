// One copy of the OTel API. The services import it as an ES module; prom-client require()s it (for
// exemplars), which resolves to the package's CommonJS build: a second copy of its 51 modules, loaded
// with every metrics registry. Node 24 can require() an ES module, so this hook hands prom-client the
// ES build the services already hold (the API keeps its state in one global either way). metrics.ts
// imports this module before prom-client and removes the hook right after: a resolve hook, even one
// that passes every call on, slows each later require(). Without module.registerHooks (an older Node),
// or for a prom-client that does not require the API, nothing changes.
import * as nodeModule from 'node:module';

const FROM_PROM_CLIENT = /\/node_modules\/prom-client\//;
const COMMONJS_BUILD = /\/node_modules\/@opentelemetry\/api\/dist\/index\.cjs$/;

const hooks = nodeModule.registerHooks?.({
  resolve(specifier, context, nextResolve) {
    const resolved = nextResolve(specifier, context);
    if (!context.parentURL || !FROM_PROM_CLIENT.test(context.parentURL) || !COMMONJS_BUILD.test(resolved.url))
      return resolved;
    return { url: resolved.url.replace(/index\.cjs$/, 'index.mjs'), format: 'module', shortCircuit: true };
  },
});

/** Called once prom-client has loaded. */
export function removeOtelApiHook(): void {
  hooks?.deregister();
}
