import { formatSchemas } from './adapters/index.ts';
import { configSchema } from './config/schema.ts';

export const schemas = {
  'schema/proxy.schema.json': { title: 'Resilient proxy configuration', schema: configSchema },
  // The other formats the proxy reads (see src/adapters/).
  'schema/sidecar.schema.json': {
    title: 'Ingress sidecar configuration (the sidecar format)',
    schema: formatSchemas.sidecar,
  },
  'schema/rgate.schema.json': {
    title: 'rgate configuration (the rgate format)',
    schema: formatSchemas.rgate,
  },
  'schema/lb.schema.json': {
    title: 'Load-balancer configuration (the load-balancer format)',
    schema: formatSchemas.lb,
  },
};
