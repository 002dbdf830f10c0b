#!/bin/sh
# First start of the postgres container (docker-entrypoint-initdb.d): one role and database
# for the application, one role and two databases for Temporal. Neither role is a superuser
# or can reach the other's databases. The passwords come from the container's environment
# (SKILLCERT_DB_PASSWORD, TEMPORAL_DB_PASSWORD); nothing is echoed.
set -eu
: "${SKILLCERT_DB_PASSWORD:?}" "${TEMPORAL_DB_PASSWORD:?}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_pw="$SKILLCERT_DB_PASSWORD" -v temporal_pw="$TEMPORAL_DB_PASSWORD" <<'SQL'
CREATE ROLE skillcert LOGIN PASSWORD :'app_pw' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE ROLE temporal LOGIN PASSWORD :'temporal_pw' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE DATABASE skillcert OWNER skillcert;
CREATE DATABASE temporal OWNER temporal;
CREATE DATABASE temporal_visibility OWNER temporal;
REVOKE ALL ON DATABASE skillcert FROM PUBLIC;
REVOKE ALL ON DATABASE temporal FROM PUBLIC;
REVOKE ALL ON DATABASE temporal_visibility FROM PUBLIC;
SQL
