# syntax=docker/dockerfile:1
# Minefleet's game image for the built-in flying-squid distribution: the same launcher and console host
# the local driver runs, started from the operator's ConfigMap (/config/server.properties) with the
# world on the /data volume (in its `server/` folder: a restore swaps folders inside the volume). Provides mc-health (probes), minefleet-console (preStop: announce, save, stop) and the
# in-pod agent (minefleet-agent.mjs, started by the entrypoint).
# Build from the repository root:
#   docker build -f deploy/docker/flying-squid.Dockerfile -t minefleet/flying-squid:0.1.0 .
ARG NODE_IMAGE=node:20.19.5-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund \
 && npx tsc -b packages/runtime-local/tsconfig.build.json packages/backups/tsconfig.build.json \
 && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/packages/domain/package.json packages/domain/
COPY --from=build /src/packages/domain/dist packages/domain/dist
COPY --from=build /src/packages/backups/package.json packages/backups/
COPY --from=build /src/packages/backups/dist packages/backups/dist
COPY --from=build /src/packages/backups/node_modules packages/backups/node_modules
COPY --from=build /src/packages/gateway/package.json packages/gateway/
COPY --from=build /src/packages/gateway/dist packages/gateway/dist
COPY --from=build /src/packages/runtime-local/package.json packages/runtime-local/
COPY --from=build /src/packages/runtime-local/dist packages/runtime-local/dist
COPY --from=build /src/packages/runtime-local/launcher packages/runtime-local/launcher
COPY deploy/docker/flying-squid/*.mjs bin/
RUN ln -s /app/bin/mc-health.mjs /usr/local/bin/mc-health \
 && ln -s /app/bin/minefleet-console.mjs /usr/local/bin/minefleet-console \
 && chmod 0755 bin/*.mjs \
 && mkdir -p /data /config && chown 1000:1000 /data
USER 1000:1000
VOLUME /data
# 25565: the game; 25580: the in-pod agent (the console for the control plane).
EXPOSE 25565 25580
ENTRYPOINT ["node", "/app/bin/entrypoint.mjs"]
