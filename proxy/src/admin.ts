// The admin listener's proxy-specific route: GET /config, the effective config with secrets redacted.
import { type AdminHandler, sendJson } from '@sre-stack/runtime';
import { redact } from './config/redact.ts';
import type { ProxyConfig } from './config/schema.ts';

export function configRoute(current: () => ProxyConfig | undefined, file: string): AdminHandler {
  return (_request, response) => {
    sendJson(response, 200, {
      file,
      note: 'durations are in milliseconds; secrets are redacted',
      config: redact(current()),
    });
  };
}
