// Node's module compile cache, switched on by every bin as its first import. Node then keeps, on disk,
// each module's type-stripped source and V8 code cache: a start with a warm cache compiles almost
// nothing and never loads the TypeScript stripper (amaro, a WebAssembly module of about 15 MiB resident
// and a tenth of a second to load). Plain JavaScript, as are the bins (bin/*.mjs) and the zod-locales
// hook they import next: Node loads every static import of a module before it runs any, so one .ts
// file among them would be stripped before the cache is on, and load the stripper. The variable is
// passed on, so the config parse child and the proxy's worker threads start with the cache on from
// their first line. The images set it to a directory filled at build time. NODE_DISABLE_COMPILE_CACHE=1
// turns it off; it never fails a start.
// The Node version first: on an older Node, one line says what to do (node-version.mjs). Then V8's heap
// flags for start-up, before any module is compiled: the cached code is valid only under them.
import './node-version.mjs';
import './start-up-heap.mjs';
import * as nodeModule from 'node:module';

const result = nodeModule.enableCompileCache();
if (result?.directory) process.env.NODE_COMPILE_CACHE ??= result.directory;
