// Keeps V8's young generation small. V8 sizes it from the machine's memory, not the process's needs: on
// a 24 GiB host it grows to 64 MiB under load, and already to 16 MiB while a service loads its modules,
// all of it resident from then on. A service here allocates little per request and keeps less, so a
// young generation of a few MiB serves it as well and the RSS stays near what the process holds.
// --max-semi-space-size would do this, but only on the command line (NODE_OPTIONS), which a bin cannot
// set for itself; the growth factor, though, is read at every scavenge, so it can be turned off and on.
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/** Young generation (both semi-spaces) at which growth stops, unless a V8 flag says otherwise. */
export const YOUNG_GENERATION_CAP_MIB = 8;

let capped = false;

function youngGenerationMiB(): number {
  const space = getHeapSpaceStatistics().find((entry) => entry.space_name === 'new_space');
  return (space?.space_size ?? 0) / 1024 / 1024;
}

/** Caps the young generation at `capMiB`: it may double only while that keeps it within the cap. */
export function capYoungGeneration(capMiB = YOUNG_GENERATION_CAP_MIB): void {
  const flags = `${process.env.NODE_OPTIONS ?? ''} ${process.execArgv.join(' ')}`;
  // An operator who sized it explicitly knows better.
  if (capped || /--(max|min)-semi-space-size|--semi-space-growth-factor/.test(flags)) return;
  capped = true;
  // Off until the first collection is observed: loading modules is one long burst of scavenges, during
  // which no observer callback runs, and the young generation would double at each of them.
  setFlagsFromString('--semi-space-growth-factor=1');
  let growing = false;
  const adjust = () => {
    const grow = youngGenerationMiB() * 2 <= capMiB;
    if (grow === growing) return;
    growing = grow;
    setFlagsFromString(`--semi-space-growth-factor=${grow ? 2 : 1}`);
  };
  // Checked after every collection: growth only ever happens at one.
  const observer = new PerformanceObserver(adjust);
  observer.observe({ entryTypes: ['gc'] });
}
