import { formatSchemas } from './adapters/index.ts';
import { configSchema } from './config/schema.ts';

export const schemas = {
  'schema/proxy.schema.json': { title: 'Resilient proxy configuration', schema: configSchema },
  // The seeds' formats, which the proxy also reads (see src/adapters/).
  'schema/sidecar.schema.json': {
    title: 'Ingress sidecar configuration (seed 000 format)',
    schema: formatSchemas.sidecar,
  },
  'schema/rgate.schema.json': { title: 'rgate configuration (seed 002 format)', schema: formatSchemas.rgate },
  'schema/lb.schema.json': {
    title: 'Load-balancer configuration (seed 004 format)',
    schema: formatSchemas.lb,
  },
};
