// V8's heap flags while modules load, the same in every process of the project: the young generation does
// not grow, and the old generation keeps a 20 % margin above its live size (heap.ts says why each). Set
// here, by the first module every bin imports (compile-cache.mjs), and by the config parse child, before
// anything else loads; a service changes them only once it has started (keepHeapCompact in heap.ts).
// The same flags everywhere matter to Node's compile cache: V8 accepts a module's cached code only under
// the flags it was compiled with, and a flag set at run time counts. With flags set by the serving code
// alone, each switch between `prober` and `prober --once` found 151 modules' cache refused, compiled them
// again and rewrote their entries: about 0.15 s more for the command. Plain JavaScript, like the bins:
// nothing here may load the TypeScript stripper. An operator's own flags (NODE_OPTIONS or the command line)
// win, and are never touched.
import { setFlagsFromString } from 'node:v8';

/** How far above its live size the old generation may grow before a full collection. */
export const OLD_GENERATION_GROWTH_PERCENT = 20;

/**
 * Which heap flags the operator gave: those parts of the heap are theirs. A cap on the old generation
 * (--max-old-space-size) is not its margin: the margin still decides when to collect below the cap.
 */
export function operatorHeapFlags() {
  const flags = `${process.env.NODE_OPTIONS ?? ''} ${process.execArgv.join(' ')}`;
  return {
    young: /--(max|min)-semi-space-size|--semi-space-growth-factor/.test(flags),
    old: /--heap-growing-percent/.test(flags),
  };
}

/**
 * Sets the start-up flags; setting them again changes nothing. Only the main thread sets them: the flags
 * are the process's, and a worker thread that starts later must not undo what the service set since.
 */
export function applyStartUpHeapFlags() {
  if (!process.getBuiltinModule('node:worker_threads').isMainThread) return;
  const operator = operatorHeapFlags();
  if (!operator.young) setFlagsFromString('--semi-space-growth-factor=1');
  if (!operator.old) setFlagsFromString(`--heap-growing-percent=${OLD_GENERATION_GROWTH_PERCENT}`);
}

applyStartUpHeapFlags();
