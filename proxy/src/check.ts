// proxy --check (and rgate --check): validate a config without serving. Exit 0 when it is good, 1 with
// every problem as file:line:column otherwise. Any format the proxy reads is checked, as it would run.
import { ConfigError, loadConfigFile } from '@sre-stack/runtime/config';
import { anyConfigSchema, describeConfigFile, FORMAT_NAMES } from './adapters/index.ts';

export async function checkConfig(file: string, flavor: 'proxy' | 'rgate' = 'proxy'): Promise<number> {
  try {
    const config = await loadConfigFile(file, anyConfigSchema);
    const { format, notes } = await describeConfigFile(file);
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
