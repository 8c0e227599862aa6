# Hookbridge: multi-stage build. The build stage compiles TypeScript (and the native
# better-sqlite3 module); the runtime stage carries only production dependencies and
# dist/, and runs as an unprivileged user.
# syntax=docker/dockerfile:1

FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 builds from source when no prebuilt binary matches.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY web ./web
COPY scripts/build-web.mjs ./scripts/build-web.mjs
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATABASE_URL=sqlite:/data/hookbridge.db
WORKDIR /app
RUN groupadd --system hookbridge && useradd --system --gid hookbridge --home-dir /app --shell /usr/sbin/nologin hookbridge \
    && mkdir -p /data && chown hookbridge:hookbridge /data
COPY --from=build --chown=hookbridge:hookbridge /app/node_modules ./node_modules
COPY --from=build --chown=hookbridge:hookbridge /app/dist ./dist
COPY --from=build --chown=hookbridge:hookbridge /app/package.json ./package.json
USER hookbridge
VOLUME ["/data"]
EXPOSE 8080
# /ready: the database answers and every migration is applied.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# node directly (not npm): SIGTERM from `docker stop` reaches the server, which drains and exits.
STOPSIGNAL SIGTERM
CMD ["node", "dist/cli.js", "serve"]
