/**
 * The former identities of resources whose name or parent changed, in one table. Existing stacks hold every resource
 * under the URN it had when they were last updated; without an alias a changed URN is a delete and a create on the
 * next `pulumi up` (for a protected password or Secret: a refused update). test/urns.test.ts proves each former URN in
 * test/fixtures/urns.prod.previous.txt is still answered.
 */
import * as pulumi from "@pulumi/pulumi";
import { objectName, TYPES } from "./contracts";

const SECRET = "kubernetes:core/v1:Secret";
const RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword";

/**
 * An AwaitedJob's Job is `<job>-run`, named after its component like every child; stacks created before that name
 * hold it as objectName(component).
 */
export const awaitedJobAliases = (component: string): pulumi.Alias[] => [{ name: objectName(component) }];

/**
 * A NetworkPolicy's Pulumi name is `<component>-<object name without pulse->`; stacks created before hold it under its
 * object name. The release policies were renamed clear of the charts' own NetworkPolicies (which carry the release's
 * name) before that: their first names stay aliases too.
 */
const NETWORK_POLICY_FORMER_NAMES: Readonly<Record<string, readonly string[]>> = {
    [objectName("allow-postgresql")]: [objectName("postgresql")],
    [objectName("allow-nats")]: [objectName("nats")],
    [objectName("allow-emqx")]: [objectName("emqx")],
};

export const networkPolicyAliases = (policyName: string): pulumi.Alias[] =>
    [policyName, ...(NETWORK_POLICY_FORMER_NAMES[policyName] ?? [])].map((name) => ({ name }));

/**
 * Credentials the platform's credentials stage (components/credentials.ts) creates, by their role, and the component
 * that created them in stacks deployed before it: each is read by more than its owner (Pulse's database login by the
 * migrator, the services, the setup Job and the chart; Keycloak's database role by the database setup Job and
 * Keycloak; Keycloak's admin by Keycloak and ui), so none of them builds it. The resource keeps its name
 * (`<platform>-<role>`): only its parent changed.
 */
export const MOVED_TO_CREDENTIALS = {
    "database-secret": { from: "database", type: SECRET },
    "database-password": { from: "database", type: RANDOM_PASSWORD },
    "database-admin-password": { from: "database", type: RANDOM_PASSWORD },
    "database-replication-password": { from: "database", type: RANDOM_PASSWORD },
    "keycloak-admin": { from: "keycloak", type: SECRET },
    "keycloak-admin-password": { from: "keycloak", type: RANDOM_PASSWORD },
    "database-keycloak-secret": { from: "database", type: SECRET },
    "database-keycloak-password": { from: "database", type: RANDOM_PASSWORD },
} as const satisfies Record<string, { readonly from: keyof typeof TYPES; readonly type: string }>;

export type MovedCredential = keyof typeof MOVED_TO_CREDENTIALS;

/**
 * The full URN `<platform>-<role>` had under the component `<platform>-<from>`: a URN, not a name-and-parent alias, so
 * the former parent need not exist yet (and test/urns.test.ts reads it as recorded).
 */
export function movedCredentialAliases(platform: pulumi.Resource, platformName: string, role: MovedCredential): pulumi.Output<string>[] {
    const { from, type } = MOVED_TO_CREDENTIALS[role];
    const formerParent = pulumi.createUrn(`${platformName}-${from}`, TYPES[from], platform);
    return [pulumi.createUrn(`${platformName}-${role}`, type, formerParent)];
}
