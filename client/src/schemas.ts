// The JSON Schemas editors use for the probes file (`npm run schemas` writes them).
import { probesFileSchema } from './config/schema.ts';

export const schemas = {
  'schema/probes.schema.json': { title: 'Prober probes file', schema: probesFileSchema },
};
