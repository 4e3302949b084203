import { parseConfigText } from '@sre-stack/runtime';
import { stringify } from 'yaml';
import { toDefinitions } from '../../src/config/definitions.ts';
import { probesFileSchema } from '../../src/config/schema.ts';
import type { Definition } from '../../src/types.ts';

/** A definition as the prober would build it from YAML, for one probe given as an object. */
export function probeDefinition(probe: Record<string, unknown>): Definition {
  const file = parseConfigText(
    stringify({ probes: [{ every: '10s', ...probe }] }),
    'test.yaml',
    probesFileSchema,
  );
  return toDefinitions(file)[0] as Definition;
}
