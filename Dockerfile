# Production image of the filing hub: one image, several processes (api, worker, migrate), chosen by command.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The compose file mounts the test PKI volume here; the image's ownership carries over to the fresh volume.
RUN mkdir -p /pki && chown node:node /pki
USER node
CMD ["node", "dist/api/main.js"]
