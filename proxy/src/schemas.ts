import { configSchema } from './config/schema.ts';

export const schemas = {
  'schema/proxy.schema.json': { title: 'Resilient proxy configuration', schema: configSchema },
};
