# syntax=docker/dockerfile:1
# The Minefleet operator. Build from the repository root:
#   docker build -f deploy/docker/operator.Dockerfile -t minefleet/operator:0.1.0 .
ARG NODE_IMAGE=node:20.19.5-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund \
 && npx tsc -b apps/operator/tsconfig.build.json \
 && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/packages/domain/package.json packages/domain/
COPY --from=build /src/packages/domain/dist packages/domain/dist
COPY --from=build /src/packages/gateway/package.json packages/gateway/
COPY --from=build /src/packages/gateway/dist packages/gateway/dist
COPY --from=build /src/packages/runtime-local/package.json packages/runtime-local/
COPY --from=build /src/packages/runtime-local/dist packages/runtime-local/dist
COPY --from=build /src/packages/runtime-kubernetes/package.json packages/runtime-kubernetes/
COPY --from=build /src/packages/runtime-kubernetes/dist packages/runtime-kubernetes/dist
COPY --from=build /src/apps/operator/package.json apps/operator/
COPY --from=build /src/apps/operator/dist apps/operator/dist
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["node", "apps/operator/dist/main.js"]
