-- What Pulse's database needs beyond a plain PostgreSQL, run as a superuser: in-cluster by the db-setup Job after the
-- release is up and before the migrator, on every change of its trigger; for an external database by its admin, once
-- (docs/platform.md, "What the database admin grants"). Every statement is idempotent. Values come from the environment
-- (psql's \getenv), so no password is on a command line. It also sets the roles' passwords, so it re-runs when one
-- changes (docs/operations.md, Rotating passwords). PostgreSQL 15 or newer.
\set ON_ERROR_STOP on
\getenv app_db APP_DB
\getenv app_user APP_USER
\getenv app_password APP_PASSWORD
\getenv kc_db KEYCLOAK_DB
\getenv kc_user KEYCLOAK_USER
\getenv kc_password KEYCLOAK_PASSWORD

DO $$
BEGIN
    IF current_setting('server_version_num')::int < 150000 THEN
        RAISE EXCEPTION 'Pulse needs PostgreSQL 15 or newer (GRANT SET ON PARAMETER), this is %', current_setting('server_version');
    END IF;
END
$$;
SELECT current_setting('server_version_num')::int >= 160000 AS pg16 \gset

-- The app role and its database (the chart creates both in-cluster; an external server may have neither yet). The role's
-- password is the Secret's: the chart sets it at the first start only, so this is what makes a changed pulse:dbPassword
-- take effect (the setup re-runs on a change; the pods that log in with it roll after it).
SELECT format('CREATE ROLE %I LOGIN', :'app_user') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'app_user')\gexec
ALTER ROLE :"app_user" WITH LOGIN PASSWORD :'app_password';
SELECT format('CREATE DATABASE %I OWNER %I', :'app_db', :'app_user') WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'app_db')\gexec

-- Pulse's migrations write seed rows into tables under forced row-level security (004, 052), create roles, two of them
-- with BYPASSRLS (pulse_operator, pulse_operator_read), grant them to the app role and use them (SET LOCAL ROLE): the
-- app role bypasses RLS itself and creates roles. (Pulse's compose file makes it a superuser; this is the least of it.)
-- PostgreSQL 16 lets such a role create BYPASSRLS roles, and createrole_self_grant makes the roles it creates its own
-- with SET and INHERIT. PostgreSQL 15 lets only a superuser create a BYPASSRLS role: those two are created here, as
-- the migrations would, and CREATEROLE lets the app role grant them there.
ALTER ROLE :"app_user" WITH CREATEROLE BYPASSRLS;
\if :pg16
ALTER ROLE :"app_user" SET createrole_self_grant = 'set, inherit';
\else
SELECT format('CREATE ROLE %I NOLOGIN BYPASSRLS', r) FROM unnest(ARRAY['pulse_operator', 'pulse_operator_read']) AS r
    WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r)\gexec
\endif
-- One migration (050) disables triggers for its clean-up with SET session_replication_role, a superuser-only setting
-- unless delegated: without this the migrator fails on a fresh database.
GRANT SET ON PARAMETER session_replication_role TO :"app_user";

-- Keycloak's own role and database (as Pulse's compose file has them), never a schema in Pulse's database; only when
-- Keycloak is deployed (keycloak.enabled): the Job sets KEYCLOAK_USER then.
\if :{?kc_user}
SELECT format('CREATE ROLE %I LOGIN', :'kc_user') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'kc_user')\gexec
ALTER ROLE :"kc_user" WITH LOGIN PASSWORD :'kc_password';
SELECT format('CREATE DATABASE %I OWNER %I', :'kc_db', :'kc_user') WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'kc_db')\gexec
\endif

-- The extensions the migrations use: timescaledb (hypertables, retention and compression policies, time_bucket) can
-- only be created by a superuser; pgcrypto (gen_random_uuid, digest), which provision-api also creates at start.
\connect :"app_db"
CREATE EXTENSION IF NOT EXISTS timescaledb;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
