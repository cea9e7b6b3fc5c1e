#!/usr/bin/env bash
# Installs PostgreSQL 15 with its server headers (Debian's apt) and builds pgvector from source,
# for running the test suite on a real PostgreSQL (TEST_DATABASE=postgres). Idempotent: packages
# already installed and a pgvector already in PostgreSQL's extension folder are left as they are.
#
#   scripts/install-postgres.sh [pgvector source tarball: a path or an https URL]
#
# The default tarball is ../shared/vendor/pgvector-0.8.6.tar.gz (beside the project) when it
# exists, else pgvector's v0.8.6 release from GitHub.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_MAJOR=15
PGVECTOR_VERSION=0.8.6
PGVECTOR_URL="https://github.com/pgvector/pgvector/archive/refs/tags/v${PGVECTOR_VERSION}.tar.gz"
VENDORED="../shared/vendor/pgvector-${PGVECTOR_VERSION}.tar.gz"

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive

pg_bin="/usr/lib/postgresql/${PG_MAJOR}/bin"
if [ -x "$pg_bin/initdb" ] && [ -x "$pg_bin/pg_config" ] && [ -f "/usr/include/postgresql/${PG_MAJOR}/server/postgres.h" ]; then
  echo "== PostgreSQL ${PG_MAJOR} and its server headers are installed"
else
  echo "== installing PostgreSQL ${PG_MAJOR} and its server headers (apt)"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "postgresql-${PG_MAJOR}" "postgresql-server-dev-${PG_MAJOR}" make gcc libc6-dev >/dev/null
fi
# Debian's package starts a cluster of its own on 5432; the tests start theirs, so leave it be.

extension_dir="$("$pg_bin/pg_config" --sharedir)/extension"
if [ -f "$extension_dir/vector.control" ]; then
  echo "== pgvector is installed ($(sed -n "s/^default_version = '\(.*\)'/\1/p" "$extension_dir/vector.control"))"
  exit 0
fi

source="${1:-}"
if [ -z "$source" ]; then
  if [ -f "$VENDORED" ]; then source="$VENDORED"; else source="$PGVECTOR_URL"; fi
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
case "$source" in
  http://* | https://*)
    if ! command -v curl >/dev/null 2>&1; then
      echo "== installing curl (apt) to download pgvector"
      $SUDO apt-get update -qq
      $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends curl ca-certificates >/dev/null
    fi
    echo "== downloading pgvector from $source"
    curl -fsSL "$source" -o "$work/pgvector.tar.gz"
    ;;
  *)
    [ -f "$source" ] || { echo "no pgvector tarball at $source" >&2; exit 1; }
    cp "$source" "$work/pgvector.tar.gz"
    ;;
esac
echo "== building pgvector from $source"
mkdir "$work/src"
tar xzf "$work/pgvector.tar.gz" -C "$work/src" --strip-components=1
# OPTFLAGS="" : no -march=native, so the build runs on any x86-64 machine.
make -s -C "$work/src" PG_CONFIG="$pg_bin/pg_config" OPTFLAGS="" >/dev/null
$SUDO make -s -C "$work/src" PG_CONFIG="$pg_bin/pg_config" install >/dev/null
echo "== pgvector installed in $extension_dir"
