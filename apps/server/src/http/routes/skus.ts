import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { SkuService } from '@minefleet/services/skus';
import type { CatalogueSource } from '@minefleet/services/servers';
import { errors } from '../schemas/common.js';
import { DistributionList, SkuList } from '../schemas/servers.js';
import { toSku } from '../serializers.js';

export function catalogueRoutes(options: {
  skus: SkuService;
  catalogue: CatalogueSource;
}): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/skus',
      {
        config: { permission: 'server.read' },
        schema: {
          tags: ['plans'],
          summary: 'Plans a server can be created from',
          response: { 200: SkuList, ...errors(401) },
        },
      },
      async () => ({ skus: (await options.skus.list()).map(toSku) }),
    );

    app.get(
      '/distributions',
      {
        config: { permission: 'server.read' },
        schema: {
          tags: ['plans'],
          summary: 'Server software and Minecraft versions this host can run',
          response: { 200: DistributionList, ...errors(401) },
        },
      },
      async () => ({ distributions: await options.catalogue() }),
    );
  };
}
