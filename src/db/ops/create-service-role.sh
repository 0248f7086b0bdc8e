#!/bin/sh
# docker-compose's Postgres, on its first start only (an empty data volume; the
# image runs /docker-entrypoint-initdb.d/* as POSTGRES_USER, the owner):
# creates the service's login POSTGRES_SERVICE_USER with POSTGRES_SERVICE_PASSWORD,
# a member of the group role debt_payments_service, which the migrations grant
# what the service needs (migration 0028). The login owns nothing, so the
# service cannot disable the triggers that keep the ledger and the audit log
# append-only (DESIGN 16). An existing volume: run the same statements once by
# hand (docs/architecture.md, Postgres roles).
set -e
: "${POSTGRES_SERVICE_USER:?set POSTGRES_SERVICE_USER}"
: "${POSTGRES_SERVICE_PASSWORD:?set POSTGRES_SERVICE_PASSWORD}"
psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v service_user="$POSTGRES_SERVICE_USER" -v service_password="$POSTGRES_SERVICE_PASSWORD" <<'SQL'
select not exists (select from pg_roles where rolname = 'debt_payments_service') as group_missing \gset
\if :group_missing
create role debt_payments_service nologin;
\endif
select not exists (select from pg_roles where rolname = :'service_user') as login_missing \gset
\if :login_missing
create role :"service_user" login;
\endif
alter role :"service_user" with login nosuperuser nocreatedb nocreaterole password :'service_password';
grant debt_payments_service to :"service_user";
SQL
