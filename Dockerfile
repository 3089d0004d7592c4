# The worker and the gateway: one image, two commands (see docker-compose.yml).
FROM node:20-bookworm-slim AS build
WORKDIR /app
# The Temporal wheels are for `npm start` and the tests, not for this image.
ENV PROGREG_SKIP_TOOLS=1
COPY package.json package-lock.json ./
COPY scripts/setup-tools.js scripts/setup-go-tools.js scripts/
COPY prisma ./prisma
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production PROGREG_SKIP_TOOLS=1
COPY package.json package-lock.json ./
COPY scripts/setup-tools.js scripts/setup-go-tools.js scripts/
COPY prisma ./prisma
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# TypeScript sources read at run time: prisma.config.ts (and src/db/adapter.ts) by
# `prisma migrate deploy`, and the portal's browser code (src/portal/client, which
# imports workflows/registration/types.ts) that the gateway bundles at start.
COPY prisma.config.ts ./
COPY src ./src
COPY workflows ./workflows
RUN mkdir -p /app/var && chown node:node /app/var
USER node
EXPOSE 3000
# Memory over speed (docs/gateway.md, "Live pages"): a 4 MB young generation instead of 16, and
# V8's --optimize-for-size (its old generation grows less before collecting). Together about
# 60 MB less with 1,000 event streams open, and no slower on this I/O-bound server.
# bench/sse.ts starts the gateway with the flags of package.json's "gateway" script; keep them equal.
CMD ["node", "--max-semi-space-size=4", "--optimize-for-size", "dist/src/gateway/server.js"]
