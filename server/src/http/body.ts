import type { IncomingMessage } from 'node:http';

export type BodyResult = { ok: true; value: unknown } | { ok: false; status: 400 | 413 | 415; error: string };

export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024;

/**
 * Reads a JSON request body. Refuses a wrong content type (415), more than `limit` bytes (413, without
 * reading the rest), and malformed JSON (400). Never throws.
 */
export async function readJsonBody(request: IncomingMessage, limit: number): Promise<BodyResult> {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type !== 'application/json' && !/^application\/[\w.+-]+\+json$/.test(type)) {
    return {
      ok: false,
      status: 415,
      error: `content-type must be application/json, got ${type ? `"${type}"` : 'none'}`,
    };
  }
  const tooLarge = { ok: false, status: 413, error: `body larger than the limit of ${limit} bytes` } as const;
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return tooLarge;

  let text = '';
  try {
    // No length and no chunked encoding: no body (and, with optimizeEmptyRequests, no 'end' to wait for).
    if (request.headers['content-length'] !== undefined || request.headers['transfer-encoding'] !== undefined)
      text = await readText(request, limit);
  } catch (error) {
    if (error === TOO_LARGE) return tooLarge;
    return { ok: false, status: 400, error: `could not read the body: ${(error as Error).message}` };
  }
  if (text.trim() === '') return { ok: false, status: 400, error: 'the body is empty; send a JSON object' };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, status: 400, error: `invalid JSON: ${(error as Error).message}` };
  }
}

const TOO_LARGE = Symbol('too large');

// Listeners rather than for-await: leaving a for-await early destroys the request, and with it the
// socket the 413 answer has to go out on.
function readText(request: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (settle: () => void) => {
      request.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      settle();
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.pause();
        return done(() => reject(TOO_LARGE));
      }
      chunks.push(chunk);
    };
    const onEnd = () => done(() => resolve(Buffer.concat(chunks).toString('utf8')));
    const onError = (error: Error) => done(() => reject(error));
    const onClose = () => done(() => reject(new Error('the client went away')));
    request.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}
