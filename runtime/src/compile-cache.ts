// Node's module compile cache, switched on by every bin as its first import. Node then keeps, on disk,
// each module's type-stripped source and V8 code cache: a start with a warm cache compiles almost
// nothing and never loads the TypeScript stripper (amaro, a WebAssembly module of about 16 MiB resident
// and a tenth of a second to load). The bin's own file is stripped before this runs; a process started
// with NODE_COMPILE_CACHE set skips even that, which is why the variable is passed on: the config parse
// child and the proxy's worker threads start with the cache on from their first line. The images set it
// to a directory filled at build time. NODE_DISABLE_COMPILE_CACHE=1 turns it off; it never fails a start.
import * as nodeModule from 'node:module';

// Optional call: an older Node answers from node-version.mjs, not with a missing-export error.
const result = nodeModule.enableCompileCache?.();
if (result?.directory) process.env.NODE_COMPILE_CACHE ??= result.directory;
