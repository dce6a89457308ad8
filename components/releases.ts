/**
 * Each Helm release's values builder, bound once to its registry key (config/releases.ts), with the Secrets its pods
 * read: what the program passes each chart for a whole config. The platform passes a generic
 * release (components/release.ts) the values built here; the tooling and the tests that cover every release
 * (tools/chartBehaviour.ts, test/releases.test.ts, the integration suite's peer chart) read the same table. The
 * components with a release of their own (components/database.ts, components/emqx.ts) call their builders themselves.
 */
import { deviceTlsEnabled, PulseConfig, ReleaseKey } from "../config";
import { postgresqlValues } from "./database";
import { emqxValues, serverCertSecretOf } from "./emqx";
import { natsValues } from "./nats";

type Values = Record<string, unknown>;

export interface ReleaseBuilders {
    /** The values the program passes the chart (the release's revision annotations aside), with its scheduling keys merged in. */
    readonly values: (c: PulseConfig) => Values;
    /** The Secrets the release's pods read (each named in its values), by name: they must exist before it installs. */
    readonly secrets: (c: PulseConfig) => string[];
}

export const RELEASE_BUILDERS: { readonly [K in ReleaseKey]: ReleaseBuilders } = {
    postgresql: {
        // A backup dumps Pulse's database and Keycloak's, when Keycloak is deployed (components/platform.ts).
        values: (c) =>
            postgresqlValues(
                c.postgresql,
                c.global,
                [c.postgresql.auth.database, ...(c.keycloak.enabled ? [c.keycloak.database.name] : [])],
                c.postgresql.auth.existingSecret,
            ),
        secrets: (c) => [c.postgresql.auth.existingSecret],
    },
    emqx: {
        values: (c) => emqxValues(c.emqx, c.global, { env: c.secrets.emqxDashboard, bootstrap: c.secrets.emqxBootstrap }),
        secrets: (c) => [
            c.secrets.emqxDashboard,
            c.secrets.emqxBootstrap,
            ...(deviceTlsEnabled(c.emqx) ? [serverCertSecretOf(c.emqx), c.emqx.deviceTls.deviceCaSecret] : []),
        ],
    },
    nats: {
        values: (c) => natsValues(c.nats, c.global),
        secrets: () => [],
    },
};
