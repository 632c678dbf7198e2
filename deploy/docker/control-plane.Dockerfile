# syntax=docker/dockerfile:1
# The Minefleet control plane (API, dashboard, and the flying-squid launcher its local driver runs).
# Build from the repository root:
#   docker build -f deploy/docker/control-plane.Dockerfile -t minefleet/control-plane:0.1.0 .
ARG NODE_IMAGE=node:20.19.5-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund \
 && npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && find packages apps -name '*.test.*' -path '*/dist/*' -delete

FROM ${NODE_IMAGE}
ENV NODE_ENV=production MINEFLEET_DATA_DIR=/var/lib/minefleet
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/packages ./packages
COPY --from=build /src/apps/server ./apps/server
COPY --from=build /src/apps/dashboard/dist ./apps/dashboard/dist
RUN mkdir -p /var/lib/minefleet && chown 10001:10001 /var/lib/minefleet
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["node", "apps/server/dist/main.js"]
