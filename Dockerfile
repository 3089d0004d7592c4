# The worker and the gateway: one image, two commands (see docker-compose.yml).
FROM node:20-bookworm-slim AS build
WORKDIR /app
# The Temporal wheels are for `npm start` and the tests, not for this image.
ENV PROGREG_SKIP_TOOLS=1
COPY package.json package-lock.json ./
COPY scripts/setup-tools.js scripts/
COPY prisma ./prisma
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production PROGREG_SKIP_TOOLS=1
COPY package.json package-lock.json ./
COPY scripts/setup-tools.js scripts/
COPY prisma ./prisma
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# prisma.config.ts and the adapter it imports are read by `prisma migrate deploy`.
COPY prisma.config.ts ./
COPY src/db/adapter.ts ./src/db/adapter.ts
COPY src/portal ./src/portal
RUN mkdir -p /app/var && chown node:node /app/var
USER node
EXPOSE 3000
CMD ["node", "dist/src/gateway/server.js"]
