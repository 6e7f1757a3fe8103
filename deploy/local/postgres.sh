#!/usr/bin/env bash
# Installs (if needed) and starts PostgreSQL 15 with pgvector 0.8 on this machine, and creates the
# registry's role and database. Idempotent: safe to re-run. Debian bookworm has no pgvector package, so it
# is built from Debian trixie's *source* package against postgresql-server-dev-15 (never trixie binaries).
set -euo pipefail
source "$(dirname "$0")/env.sh"
PG_VERSION=15
PG_CONFIG=/usr/lib/postgresql/$PG_VERSION/bin/pg_config
DB_NAME="${AFFECT_DB_NAME:-affect}"
DB_USER="${AFFECT_DB_USER:-affect}"
DB_PASSWORD="${AFFECT_DB_PASSWORD:-affect}"

if [ ! -x "/usr/lib/postgresql/$PG_VERSION/bin/postgres" ]; then
  log "installing postgresql-$PG_VERSION"
  apt_install "postgresql-$PG_VERSION"
fi

if [ ! -f "/usr/share/postgresql/$PG_VERSION/extension/vector.control" ]; then
  log "building pgvector from Debian trixie's source package"
  [ -f "/usr/include/postgresql/$PG_VERSION/server/postgres.h" ] || apt_install "postgresql-server-dev-$PG_VERSION"
  command -v make >/dev/null && command -v gcc >/dev/null || apt_install build-essential
  command -v dpkg-source >/dev/null || apt_install dpkg-dev
  if ! grep -rqs "trixie main" /etc/apt/sources.list.d/affect-trixie-src.list; then
    echo "deb-src http://deb.debian.org/debian trixie main" | $SUDO tee /etc/apt/sources.list.d/affect-trixie-src.list >/dev/null
    apt_updated=""
  fi
  [ -n "$apt_updated" ] || { $SUDO apt-get update -qq; apt_updated=1; }
  build_dir=$(mktemp -d)
  (cd "$build_dir" && apt-get source -qq pgvector >/dev/null 2>&1 && cd pgvector-*/ \
    && make -s PG_CONFIG="$PG_CONFIG" >/dev/null && $SUDO make -s install PG_CONFIG="$PG_CONFIG" >/dev/null)
  rm -rf "$build_dir"
  [ -f "/usr/share/postgresql/$PG_VERSION/extension/vector.control" ] || die "pgvector build failed"
fi

if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$PG_VERSION main"; then
  log "creating cluster $PG_VERSION/main"
  $SUDO pg_createcluster "$PG_VERSION" main >/dev/null
fi
if ! pg_lsclusters -h | awk '$1=="'$PG_VERSION'" && $2=="main" {print $4}' | grep -qx online; then
  log "starting PostgreSQL $PG_VERSION"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main start
fi
for _ in $(seq 1 40); do
  pg_isready -q -h 127.0.0.1 -p 5432 && break
  sleep 0.25
done
pg_isready -q -h 127.0.0.1 -p 5432 || die "PostgreSQL is not accepting connections on 127.0.0.1:5432"

psql_admin() { $SUDO -u postgres psql -v ON_ERROR_STOP=1 -qtA "$@" 2>/dev/null || runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtA "$@"; }
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname='$DB_USER'")" != "1" ]; then
  psql_admin -c "CREATE ROLE \"$DB_USER\" LOGIN PASSWORD '$DB_PASSWORD'"
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname='$DB_NAME'")" != "1" ]; then
  psql_admin -c "CREATE DATABASE \"$DB_NAME\" OWNER \"$DB_USER\""
fi
# The extension is not "trusted": a superuser creates it, in the main and the test databases. The cli module's
# tests clean their own database (they start whole registries), never the one support-registry's tests use.
for db in "$DB_NAME" "${DB_NAME}_test" "${DB_NAME}_cli_test"; do
  if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname='$db'")" != "1" ]; then
    psql_admin -c "CREATE DATABASE \"$db\" OWNER \"$DB_USER\""
  fi
  psql_admin -d "$db" -c "SET client_min_messages TO warning" -c "CREATE EXTENSION IF NOT EXISTS vector"
done
log "PostgreSQL $PG_VERSION with pgvector $(psql_admin -d "$DB_NAME" -c "SELECT extversion FROM pg_extension WHERE extname='vector'") ready on 127.0.0.1:5432 (databases $DB_NAME, ${DB_NAME}_test, ${DB_NAME}_cli_test; role $DB_USER)"
