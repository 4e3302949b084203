// The JSON Schemas `node scripts/generate-schemas.ts` writes for editors (yaml-language-server).
import { chaosProfileSchema } from './profile.ts';

export const schemas = {
  'schema/flaky-server.schema.json': { title: 'flaky-server chaos profile', schema: chaosProfileSchema },
};
