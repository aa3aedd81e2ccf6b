#!/usr/bin/env bash
# One database and one login role per Daybook service; each role owns its database and no other
# role may connect to it.
#
# The official postgres image runs this once, on the first start of an empty data directory
# (mounted into /docker-entrypoint-initdb.d). Each role's password comes from
# <SERVICE>_DB_PASSWORD (ATTENDANCE_DB_PASSWORD, ...); a missing one stops the initialisation.
# DAYBOOK_DATABASES names the services (default: the four).
set -euo pipefail

for service in ${DAYBOOK_DATABASES:-attendance reporting crm appraisal}; do
  variable="${service^^}_DB_PASSWORD"
  password="${!variable:-}"
  if [[ -z "${password}" ]]; then
    echo "init-databases: ${variable} is not set; no role is created without a password" >&2
    exit 1
  fi
  # psql variables (:"name" quotes an identifier, :'name' a literal): no value is pasted into SQL.
  psql --no-psqlrc --set=ON_ERROR_STOP=1 \
       --username="${POSTGRES_USER:-postgres}" --dbname="${POSTGRES_DB:-postgres}" \
       --set=role="${service}" --set=password="${password}" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"role" OWNER :"role";
REVOKE ALL ON DATABASE :"role" FROM PUBLIC;
SQL
  echo "init-databases: database ${service} owned by role ${service}"
done
