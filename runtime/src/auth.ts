// Bearer-token checks for admin endpoints (the server's chaos API, the proxy's /faults).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export type AuthResult = 'ok' | 'missing' | 'invalid';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Checks `Authorization: Bearer <token>` against the admin token. Both sides are hashed first, so the
 * constant-time comparison also hides the token's length.
 */
export function bearerChecker(token: string | undefined): (request: IncomingMessage) => AuthResult {
  if (!token) return () => 'ok';
  const expected = digest(token);
  return (request) => {
    const header = request.headers.authorization;
    const match = header ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
    if (!match) return 'missing';
    return timingSafeEqual(digest(match[1] as string), expected) ? 'ok' : 'invalid';
  };
}
