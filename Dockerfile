# The worker image (also runs the codec server: `node dist/codec/serve.js`).
# Build: docker build -t temporal-pipelines-worker .

# 1. Build: compile to dist/ and prebuild the workflow bundle, then drop dev dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The lock file lists only linux-x64 optional binaries; `npm install` resolves others (arm64).
RUN npm ci --no-audit --no-fund || npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build && npm prune --omit=dev

# 2. Run: only what the worker needs, as an unprivileged user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
# Configuration comes from the environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
# TEMPORAL_TASK_QUEUE, OPENAI_API_KEY, … (README, "Deployment").
CMD ["node", "dist/worker.js"]
