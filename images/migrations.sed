# Applied to Pulse's db/migrations/117_operator_role_granularity.sql when the migrator image is built (and by
# scripts/check-migrations.sh): at the Pulse commit this project is checked against (98e92bf), 117 grants on
# subscriptions, integrations and integration_routes, which 107 and 071 drop, so it fails ("relation ... does not
# exist") on every fresh database, a superuser's too. Each grant runs where its table exists; on a database where the
# tables existed when 117 ran, nothing changes. Remove this file once upstream's 117 runs on a fresh database.
s/^GRANT (INSERT, UPDATE) ON ([a-z_]+) TO pulse_operator_write;$/DO $$ BEGIN IF to_regclass('public.\2') IS NOT NULL THEN GRANT \1 ON \2 TO pulse_operator_write; END IF; END $$;/
