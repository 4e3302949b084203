export { FakeClock } from './fake-clock.ts';
export { type KeepAliveLoad, type KeepAliveReport, startKeepAliveLoad } from './keep-alive.ts';
export { countLoopTurns } from './loop-turns.ts';
export {
  type OtlpReceiver,
  type ReceivedLog,
  type ReceivedSpan,
  startOtlpReceiver,
} from './otlp-receiver.ts';
export { eventually, freePort, type LogLine, type RunningProcess, startProcess } from './process.ts';
