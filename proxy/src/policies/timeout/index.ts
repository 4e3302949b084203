// The route's overall deadline: it covers every try and every backoff until a response head is
// committed. When it passes, the pending try is cut and the client gets a 504 (see upstream/attempt.ts).
// A streaming body is then bounded by the upstream's idle timeout between chunks, not by this deadline.
import { definePolicy } from '../../pipeline/policy.ts';
import { timeoutConfig } from './config.ts';

export const timeoutPolicy = definePolicy({
  ...timeoutConfig,
  order: 150,
  create(ms) {
    if (ms <= 0) return {};
    return {
      // The deadline is this policy's alone: the tries below see it only as the bound it hands down.
      handle(exchange, next, options) {
        return next(exchange, { ...options, deadlineAt: exchange.startedAt + ms, deadlineMs: ms });
      },
    };
  },
});
