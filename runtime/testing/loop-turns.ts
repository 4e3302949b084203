/**
 * Counts turns of the event loop (one setImmediate chain) until stopped: a test's way to see that work
 * gave the loop back between its slices, without timing anything.
 */
export function countLoopTurns(): { stop(): number } {
  let turns = 0;
  let counting = true;
  const turn = () => {
    if (!counting) return;
    turns++;
    setImmediate(turn);
  };
  setImmediate(turn);
  return {
    stop() {
      counting = false;
      return turns;
    },
  };
}
