// A config's problems as the lines a person reads (file:line:column: path: message), or none.
import { ConfigError, parseConfigText } from '@sre-stack/runtime';
import { anyConfigSchema } from '../../src/adapters/index.ts';

export function configErrors(text: string): string[] {
  try {
    parseConfigText(text, 'proxy.yaml', anyConfigSchema, { env: {} });
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n');
    throw error;
  }
  return [];
}
