// Where JSON log lines go: collected during one turn of the event loop and written to the fd together,
// synchronously. One write() per line was the largest single cost of a request under load; an
// asynchronous stream (sonic-boom with sync: false) batches too, but its flush at exit can overtake a
// write still in flight and reorder the last lines. Synchronous writes from one thread cannot reorder.

// The CommonJS face of node:fs: its ES module face makes every lazy part of it, fs/promises and readline
// with it, for one writeSync (see config/load.ts).
const { writeSync } = process.getBuiltinModule('node:fs');

/** Above this many bytes pending, they are written at once instead of at the end of the turn. */
const MAX_PENDING_BYTES = 64 * 1024;
/** The size up to which a write to a pipe is atomic on Linux. */
const PIPE_BUF = 4096;
const waiter = new Int32Array(new SharedArrayBuffer(4));
const buffers = new Map<number, LineBuffer>();

export class LineBuffer {
  readonly #fd: number;
  #pending: string[] = [];
  #bytes = 0;
  #scheduled = false;
  #broken = false;

  /** One per fd, shared by every logger writing to it: lines keep their order across loggers. */
  static for(fd: number): LineBuffer {
    let buffer = buffers.get(fd);
    if (!buffer) {
      buffer = new LineBuffer(fd);
      buffers.set(fd, buffer);
    }
    return buffer;
  }

  private constructor(fd: number) {
    this.#fd = fd;
    // Whatever way the process ends (process.exit, a fatal error), what was logged gets out.
    process.on('exit', () => this.flushSync());
  }

  write(line: string): boolean {
    if (this.#broken) return true;
    this.#pending.push(line);
    this.#bytes += line.length;
    if (this.#bytes >= MAX_PENDING_BYTES) this.flushSync();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.flushSync();
      });
    }
    return true;
  }

  /** pino's logger.flush() calls this. */
  flush(callback?: (error?: Error) => void): void {
    this.flushSync();
    callback?.();
  }

  flushSync(): void {
    if (this.#pending.length === 0 || this.#broken) return;
    const lines = this.#pending;
    this.#pending = [];
    this.#bytes = 0;
    // Whole lines in writes of at most PIPE_BUF bytes: a pipe writes those atomically, so lines from
    // worker threads sharing stdout never interleave.
    let chunk = '';
    for (const line of lines) {
      if (chunk.length > 0 && chunk.length + line.length > PIPE_BUF) {
        if (!this.#writeText(chunk)) return;
        chunk = '';
      }
      chunk += line;
    }
    if (chunk.length > 0) this.#writeText(chunk);
  }

  /**
   * Writes a string as it is: Node encodes it outside the JS heap, where a Buffer.from() per write
   * took a fresh 8 KiB pool every other write. Only a partial write or EAGAIN takes the Buffer path.
   */
  #writeText(text: string): boolean {
    let written: number;
    try {
      written = writeSync(this.#fd, text);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return this.#writeAll(Buffer.from(text));
      this.#broken = true;
      return false;
    }
    const bytes = Buffer.byteLength(text);
    return written >= bytes || this.#writeAll(Buffer.from(text).subarray(written));
  }

  /** False once the reader is gone. */
  #writeAll(buffer: Buffer): boolean {
    let data = buffer;
    // A non-blocking pipe may take part of it, or nothing for a moment (EAGAIN): wait briefly, go on.
    for (let attempts = 0; data.length > 0 && attempts < 1000; ) {
      try {
        data = data.subarray(writeSync(this.#fd, data));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          attempts++;
          Atomics.wait(waiter, 0, 0, 1);
          continue;
        }
        // EPIPE and the like: the reader is gone, and logging must not take the service down with it.
        this.#broken = true;
        return false;
      }
    }
    return true;
  }
}
