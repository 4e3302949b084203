// proxy --check: validate a config without serving. Exit 0 when it is good, 1 with every problem as
// file:line:column otherwise.
import { ConfigError, loadConfigFile } from '@sre-stack/runtime';
import { configSchema } from './config/schema.ts';

export async function checkConfig(file: string): Promise<number> {
  try {
    const config = await loadConfigFile(file, configSchema);
    process.stdout.write(
      `${file}: ok (${config.routes.length} route${config.routes.length === 1 ? '' : 's'})\n`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 1;
  }
}
