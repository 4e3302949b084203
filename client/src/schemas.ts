// The JSON Schemas editors use for the probes file and experiment files (`npm run schemas` writes them).
import { probesFileSchema } from './config/schema.ts';
import { experimentSchema } from './experiment/schema.ts';

export const schemas = {
  'schema/probes.schema.json': { title: 'Prober probes file', schema: probesFileSchema },
  'schema/experiment.schema.json': { title: 'Prober chaos experiment', schema: experimentSchema },
};
