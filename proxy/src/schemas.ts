import { lbSchema } from './adapters/lb.ts';
import { rgateSchema } from './adapters/rgate.ts';
import { sidecarSchema } from './adapters/sidecar.ts';
import { configSchema } from './config/schema.ts';

export const schemas = {
  'schema/proxy.schema.json': { title: 'Resilient proxy configuration', schema: configSchema },
  // The other formats the proxy reads (see src/adapters/).
  'schema/sidecar.schema.json': {
    title: 'Ingress sidecar configuration (the sidecar format)',
    schema: sidecarSchema,
  },
  'schema/rgate.schema.json': {
    title: 'rgate configuration (the rgate format)',
    schema: rgateSchema,
  },
  'schema/lb.schema.json': {
    title: 'Load-balancer configuration (the load-balancer format)',
    schema: lbSchema,
  },
};
