// proxy --check (and rgate --check): validate a config without serving. Exit 0 when it is good, 1 with
// every problem as file:line:column otherwise. Any format the proxy reads is checked, as it would run.
// First, before any schema is built: zod set up for a single parse.
import '@sre-stack/runtime/one-shot-zod';
import { ConfigError, parseConfigText, readConfigText } from '@sre-stack/runtime/config';
import { z } from 'zod';
import {
  anyConfigSchema,
  type ConfigFormat,
  describeConfigText,
  detectFormat,
  FORMAT_NAMES,
} from './adapters/index.ts';

export async function checkConfig(file: string, flavor: 'proxy' | 'rgate' = 'proxy'): Promise<number> {
  try {
    // Read once: the format and its notes come from the same text that was validated.
    const text = await readConfigText(file);
    // The format as the validation found it: substitution changes values, never keys, so it is the
    // format of the text as written. Only the other formats have notes (keys kept for compatibility),
    // so a file in the proxy's own format is parsed once.
    let format: ConfigFormat = 'native';
    const schema = z
      .unknown()
      .transform((data) => {
        format = detectFormat(data);
        return data;
      })
      .pipe(anyConfigSchema);
    const config = parseConfigText(text, file, schema);
    const notes = format === 'native' ? [] : describeConfigText(text).notes;
    const routes = `${config.routes.length} route${config.routes.length === 1 ? '' : 's'}`;
    process.stdout.write(`${file}: ok, ${FORMAT_NAMES[format]} (${routes})\n`);
    for (const note of notes) process.stdout.write(`note: ${note}\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    if (flavor === 'rgate') process.stderr.write("rgate: see 'rgate --help' for the config format\n");
    return 1;
  }
}
