-- What Pulse's database needs beyond what the chart creates, run by the db-setup Job as the admin (postgres) after the
-- release is up and before the migrator, on every change of its trigger. Every statement is idempotent. Values come
-- from the environment (psql's \getenv), so no password is on a command line. It also sets the roles' passwords, so
-- it re-runs when one changes (docs/operations.md, Rotating passwords).
\set ON_ERROR_STOP on
\getenv app_db APP_DB
\getenv app_user APP_USER
\getenv app_password APP_PASSWORD
\getenv kc_db KEYCLOAK_DB
\getenv kc_user KEYCLOAK_USER
\getenv kc_password KEYCLOAK_PASSWORD

-- The app role's password is the Secret's: the chart sets it at the first start only, so this is what makes a changed
-- pulse:dbPassword take effect (the setup re-runs on a change; the pods that log in with it roll after it).
ALTER ROLE :"app_user" WITH PASSWORD :'app_password';

-- Pulse's migrations create roles, one of them with BYPASSRLS (pulse_operator): PostgreSQL 16 lets only a role that
-- holds CREATEROLE and BYPASSRLS do that. (Pulse's compose file makes the user a superuser; this is the least of it.)
ALTER ROLE :"app_user" WITH CREATEROLE BYPASSRLS;
-- ... and uses them (SET LOCAL ROLE pulse_operator): the roles it creates are granted to it with SET and INHERIT.
ALTER ROLE :"app_user" SET createrole_self_grant = 'set, inherit';

-- Keycloak's own role and database (as Pulse's compose file has them), never a schema in Pulse's database; only when
-- Keycloak is deployed (keycloak.enabled): the Job sets KEYCLOAK_USER then.
\if :{?kc_user}
SELECT format('CREATE ROLE %I LOGIN', :'kc_user') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'kc_user')\gexec
ALTER ROLE :"kc_user" WITH LOGIN PASSWORD :'kc_password';
SELECT format('CREATE DATABASE %I OWNER %I', :'kc_db', :'kc_user') WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'kc_db')\gexec
\endif

-- The extensions the migrations use: timescaledb (hypertables, retention and compression policies, time_bucket) can
-- only be created by the admin; pgcrypto for completeness (gen_random_uuid, digest).
\connect :"app_db"
CREATE EXTENSION IF NOT EXISTS timescaledb;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
