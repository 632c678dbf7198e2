import type { V1Service } from '@kubernetes/client-node';
import type { MinecraftServer, MinecraftServerSpec } from '../crd/schema.js';
import { names, ownedMetadata, selectorLabels } from './common.js';

/** external-dns publishes these names for the Service (the annotation most clusters already use). */
export const HOSTNAME_ANNOTATION = 'external-dns.alpha.kubernetes.io/hostname';

export function buildService(server: MinecraftServer, spec: MinecraftServerSpec): V1Service {
  const hostnames = spec.network.hostnames;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: ownedMetadata(
      server,
      names(server).service,
      hostnames.length > 0 ? { [HOSTNAME_ANNOTATION]: hostnames.join(',') } : undefined,
    ),
    spec: {
      type: spec.network.serviceType,
      selector: selectorLabels(server),
      ports: [{ name: 'minecraft', port: spec.network.port, targetPort: 'minecraft', protocol: 'TCP' }],
    },
  };
}

/** Where players connect inside the cluster. */
export function endpointOf(
  server: MinecraftServer,
  spec: MinecraftServerSpec,
): { host: string; port: number } {
  return { host: `${names(server).service}.${server.metadata.namespace}.svc`, port: spec.network.port };
}
