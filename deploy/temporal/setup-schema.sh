#!/bin/sh
# One-shot (the `temporal-schema` service): creates Temporal's two PostgreSQL databases and brings
# their schemas to the version the server image ships. Safe to run again: an existing database or
# schema is left as it is, and update-schema only applies what is missing.
set -eu

tool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "${DB_PORT:-5432}" \
    -u "$POSTGRES_USER" --pw "$POSTGRES_PWD" "$@"
}

until nc -z "$POSTGRES_SEEDS" "${DB_PORT:-5432}"; do
  echo "waiting for PostgreSQL at $POSTGRES_SEEDS:${DB_PORT:-5432}"
  sleep 1
done

for db in temporal temporal_visibility; do
  case "$db" in
    temporal) dir=temporal ;;
    *) dir=visibility ;;
  esac
  tool --db "$db" create || echo "database $db exists"
  tool --db "$db" setup-schema -v 0.0 || echo "schema of $db is set up already"
  tool --db "$db" update-schema -d "/etc/temporal/schema/postgresql/v12/$dir/versioned"
done
echo "Temporal schemas are ready"
