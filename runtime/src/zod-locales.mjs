// zod with English messages only. zod's entry re-exports every locale it ships as `z.locales` (49 modules,
// each loaded at start, about a tenth of the modules of a command such as proxy --check); the services
// use none but English, which zod's schemas import on their own. A bin imports this module, right after
// the compile cache and before anything loads zod, and `z.locales` then holds English alone: the same
// schemas and messages, some 20 ms less start. Import it for its effect only. Without module.registerHooks
// (an older Node), or for a zod laid out otherwise, nothing changes: the full locale list loads.
import * as nodeModule from 'node:module';

/** zod's ES module files that import the locale list: its core and classic entries. */
const ZOD_ENTRIES = 2;
const ZOD_ENTRY = /\/node_modules\/zod\/v4\/(?:core|classic)\/[^/]+\.js$/;
const LOCALES = '../locales/index.js';

let answered = 0;
const hooks = nodeModule.registerHooks?.({
  resolve(specifier, context, nextResolve) {
    if (specifier !== LOCALES || !context.parentURL || !ZOD_ENTRY.test(context.parentURL))
      return nextResolve(specifier, context);
    // Gone once both entries have their answer: a resolve hook, even one that passes every call on,
    // slows each later require() (yaml's 72 CommonJS files took a tenth longer).
    if (++answered === ZOD_ENTRIES) queueMicrotask(() => hooks?.deregister());
    const english = new URL('../locales/en.js', context.parentURL).href;
    const source = `export { default as en } from ${JSON.stringify(english)};`;
    return {
      url: `data:text/javascript,${encodeURIComponent(source)}`,
      format: 'module',
      shortCircuit: true,
    };
  },
});
