#!/usr/bin/env bash
# Shared set-up for scripts/dev and scripts/test (sourced, not run). Safe to run again and again:
# every step checks what is already there. Installs, when missing:
#   - the Python environment (.venv) from uv.lock, with uv pinned below;
#   - the GraphiQL assets from server/graphiql/package-lock.json (npm), so the IDE needs no CDN;
#   - PostgreSQL + PostGIS from Debian's packages, when no DATABASE_URL is given and nothing
#     answers on 127.0.0.1:5432; PostGIS for a local server that lacks it;
# then migrates and loads the Wuchang demo data.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
UV_VERSION="0.13.8"
export UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT="$ROOT/.venv"
export DEBIAN_FRONTEND=noninteractive

log() { printf '[linli] %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "需要 root 权限来安装：$*"; exit 1; fi
}

APT_UPDATED=""
apt_install() {
  [ $# -gt 0 ] || return 0
  if [ -z "$APT_UPDATED" ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  log "apt-get install $*"
  as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

python_env() {
  local python
  python="$(command -v python3 || true)"
  [ -n "$python" ] || { apt_install python3 python3-venv; python="$(command -v python3)"; }
  if [ ! -x "$ROOT/.local/uv/bin/uv" ] || ! "$ROOT/.local/uv/bin/uv" --version | grep -q "$UV_VERSION"; then
    "$python" -m venv "$ROOT/.local/uv" 2>/dev/null || { apt_install python3-venv; "$python" -m venv "$ROOT/.local/uv"; }
    "$ROOT/.local/uv/bin/pip" install -q --disable-pip-version-check "uv==$UV_VERSION"
  fi
  log "Python 环境：uv sync --frozen"
  (cd "$ROOT" && "$ROOT/.local/uv/bin/uv" sync --frozen --quiet --python "$python")
}

graphiql_assets() {
  local dir="$ROOT/server/graphiql"
  if [ -f "$dir/node_modules/.package-lock.json" ] && [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ]; then
    return 0
  fi
  command -v npm >/dev/null || apt_install nodejs npm
  log "GraphiQL 静态资源：npm ci"
  (cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts --legacy-peer-deps --loglevel=error >/dev/null)
}

client_pages() {
  # The board, kiosk and resident pages (#20): npm ci from clients/package-lock.json, then the
  # typed operations (graphql-codegen against schema/schema.graphql), the type check and the Vite
  # build into clients/dist. Skipped when dist is newer than every source, the lock and the schema.
  local dir="$ROOT/clients"
  command -v npm >/dev/null || apt_install nodejs npm
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    log "客户端页面：npm ci"
    (cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null)
  fi
  local stamp="$dir/dist/.built"
  if [ -f "$stamp" ] && [ -z "$(find "$dir/src" "$dir"/*.html "$dir"/*.ts "$dir/package-lock.json" "$ROOT/schema/schema.graphql" \
      -newer "$stamp" -not -path "$dir/src/gql/*" -print -quit)" ]; then
    return 0
  fi
  log "客户端页面：构建（graphql-codegen、tsc、vite build）"
  if ! (cd "$dir" && npm run --silent build >"$dir/.build.log" 2>&1); then
    cat "$dir/.build.log" >&2
    echo "客户端页面构建失败（cd clients && npm run build）" >&2
    return 1
  fi
  touch "$stamp"
}

port_answers() {
  "$ROOT/.venv/bin/python" - "$1" "$2" <<'PY'
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()
except OSError:
    sys.exit(1)
PY
}

# psql as the postgres superuser: the local socket (peer or trust), else 127.0.0.1 (trust).
pg_admin() {
  if runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d postgres -c 'SELECT 1' >/dev/null 2>&1; then
    runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@"
  else
    psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -d postgres "$@"
  fi
}

start_local_postgres() {
  if ! command -v pg_ctlcluster >/dev/null || [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
    apt_install postgresql postgresql-contrib
  fi
  local major
  major="$(ls /etc/postgresql | sort -n | tail -n 1)"
  [ -d "/etc/postgresql/$major/main" ] || as_root pg_createcluster "$major" main
  log "启动本地 PostgreSQL $major"
  as_root pg_ctlcluster --skip-systemctl-redirect "$major" main start 2>/dev/null || true
  for _ in $(seq 1 60); do port_answers 127.0.0.1 5432 && return 0; sleep 0.5; done
  log "PostgreSQL 没有在 127.0.0.1:5432 上启动"; exit 1
}

local_database() {
  command -v psql >/dev/null || apt_install postgresql-client
  port_answers 127.0.0.1 5432 || start_local_postgres
  local major
  major="$(pg_admin -At -c 'SHOW server_version_num')"
  major="$((major / 10000))"
  # Probe by creating it in a transaction rolled back: a listed extension may still lack its library.
  if ! pg_admin -c "BEGIN; CREATE EXTENSION IF NOT EXISTS postgis; ROLLBACK;" >/dev/null 2>&1; then
    apt_install "postgresql-$major-postgis-3"
  fi
  # A local development role: superuser so migrations can CREATE EXTENSION and tests can CREATE DATABASE.
  pg_admin -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'linli') THEN
                 CREATE ROLE linli LOGIN SUPERUSER PASSWORD 'linli'; END IF; END \$\$;"
  if [ -z "$(pg_admin -At -c "SELECT 1 FROM pg_database WHERE datname = 'linli'")" ]; then
    pg_admin -c "CREATE DATABASE linli OWNER linli"
  fi
  export DATABASE_URL="postgresql://linli:linli@127.0.0.1:5432/linli"
}

setup_all() {
  python_env
  graphiql_assets
  client_pages
  if [ -z "${DATABASE_URL:-}" ]; then local_database; else log "使用已配置的 DATABASE_URL"; fi
  "$ROOT/.venv/bin/linli" db upgrade
  "$ROOT/.venv/bin/linli" seed
}
