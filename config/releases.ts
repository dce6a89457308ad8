/**
 * The Helm releases' registry: one entry per chart the program installs, beside the services' (config/services.ts).
 * Each entry states the facts every consumer shares: the config section that configures it (the entry's key), the
 * chart and its fixed release name (its Services' DNS names), the version the program pins and where the real chart
 * comes from, the labels the chart really puts on every pod of the release (what a NetworkPolicy or a Service selects),
 * the ports its pods listen on, by name, and where the chart's values take what every release must get (the image
 * mirror and pull secrets, the switches of its own NetworkPolicies). components/releases.ts binds each entry's
 * values builder (for the components, the tooling and the tests alike); lib/helm.ts builds every Release from its
 * entry; an entry with a `type` needs no component of its own: the platform installs it with the generic one
 * (components/release.ts).
 * Adding a release: docs/development.md, "Add a Helm release".
 */
import type { Talk } from "../lib/network";

/** A chart's folder in a git repository at a tag, and the commit the tag must name (`npm run charts:fetch`). */
export interface UpstreamSource {
    /** GitHub owner/name. */
    readonly repository: string;
    /** The chart's folder in the repository. */
    readonly path: string;
    readonly tag: string;
    readonly commit: string;
}

/** The scheduling keys of a release's section (config/schema/scheduling.ts), as Bitnami's and EMQX's charts name them. */
export type SchedulingKey =
    "nodeSelector" | "tolerations" | "affinity" | "priorityClassName" | "topologySpreadConstraints" | "podLabels" | "podAnnotations" | "extraVolumes";

/** A block of a chart's values that takes the section's scheduling keys for the pods it renders. */
export interface SchedulingBlock {
    /** Its values path, dot-separated ("": the top level). */
    readonly at: string;
    /** The keys it takes; all when unset (`extraVolumes` with `extraVolumeMounts`). */
    readonly keys?: readonly SchedulingKey[];
    /**
     * Bitnami's `podAntiAffinityPreset: soft` spreads the block's pods over hosts by this component label; the chart drops
     * the preset once `affinity` is set, so a configured affinity carries its term along.
     */
    readonly bitnamiComponent?: string;
}

export interface ReleaseEntry {
    /**
     * The type token of the generic release component (components/release.ts) that installs it: part of the URN of its
     * Release in every stack, so never changed once deployed. None: a component of its own installs it (postgresql:
     * components/database.ts, emqx: components/emqx.ts), its token in lib/contracts.ts `TYPES`.
     */
    readonly type?: string;
    /** The chart's name in its repository (and its pods' `app.kubernetes.io/name`). */
    readonly chart: string;
    /**
     * Helm release name: fixed, so Service DNS names are stable; the chart's pods carry it as `app.kubernetes.io/instance`.
     * It contains the chart's name, so the charts name their objects (and main Service) after the release alone.
     */
    readonly releaseName: string;
    /**
     * Labels every pod of the release carries, as the pinned chart renders them: what its NetworkPolicies, Services and
     * PodMonitors select. tools/charts.ts holds every pod the charts render to them (`npm run test:charts`, the
     * integration suite), so a label here is one Helm really puts on each of the release's pods.
     */
    readonly pods: Readonly<Record<string, string>>;
    /**
     * The objects the chart renders for the release (`Kind/name`, in the release's namespace), with its default values
     * and with every option the program sets: the objects Helm owns. Helm refuses to install over an object it does not
     * own ("exists and cannot be imported into the current release"), so the program must create none of these
     * (test/chart-inventory.test.ts); `npm run test:charts` and the integration suite report any object a chart renders
     * or a release holds that is not listed here.
     */
    readonly renders: readonly `${string}/${string}`[];
    /** The ports the release's pods listen on, by the name the flows use. */
    readonly ports: Readonly<Record<string, number>>;
    /**
     * Whom its pods talk to, as `<party>:<port name>` (config/services.ts `talksTo`); `<own key>:*`: the release's pods
     * among themselves on every port (a cluster's members). The NetworkPolicies open exactly these.
     */
    readonly talksTo: readonly Talk[];
    /** The defaults of the section's `chart` block: the repository, the pinned version, Helm's timeout (seconds). */
    readonly source: { readonly repository: string; readonly version: string; readonly timeoutSeconds: number };
    /** Where the real chart at `source.version` comes from, with the subcharts its Chart.lock pins. */
    readonly upstream: UpstreamSource & { readonly dependencies?: readonly (UpstreamSource & { readonly name: string; readonly version: string })[] };
    /**
     * Where the chart's values take `global.imageRegistry` and `global.imagePullSecrets` (values paths, dot-separated):
     * the registry as a value of its own, or as the `<registry>/` prefix of an image repository; the pull secrets as a
     * list of Secret names. test/releases.test.ts holds each values builder to it.
     */
    readonly images: {
        readonly registry: { readonly path: string; readonly as: "value" | "prefix" };
        readonly pullSecrets: string;
    };
    /**
     * The values paths that switch the chart's own NetworkPolicies off (each must be false wherever its part is
     * rendered): the program's policies govern the namespace (components/networkPolicies.ts). None: the chart has none.
     */
    readonly chartNetworkPolicies: readonly string[];
    /**
     * Each pod template the chart renders, by the values paths of its pod's security context and its containers':
     * over the chart's defaults, what the program sets there must meet Pod Security "restricted". `when`: a values path
     * that is true when the chart renders that pod at all.
     */
    readonly securityContexts: readonly { readonly pod: string; readonly containers: readonly string[]; readonly when?: string }[];
    /**
     * Where the chart's values take the section's scheduling keys (lib/releaseScheduling.ts), each set only when
     * configured. None: the chart's layout needs a mapping of its own (`OWN_MAPPINGS` there: NATS's merge hooks).
     */
    readonly scheduling?: readonly SchedulingBlock[];
    /**
     * The paths its container mounts itself where the section's `extraVolumes` go (the chart's volumes, and any the
     * program adds): an extra volume there would clash, so the section refuses it. Needed when a `scheduling` block
     * takes `extraVolumes`, which is what gives the section that key.
     */
    readonly ownMounts?: readonly string[];
    /** Labels the chart puts on its pods besides app.kubernetes.io/*: the section's `podLabels` may not set them. */
    readonly chartPodLabels?: readonly string[];
    /**
     * The words of its config section (config/schema/releases.ts builds the section from the entry; the config
     * reference and the stack schema show them): the section's description, what `enabled` installs, the name of what
     * the release runs (its container, a cluster's nodes, in the scheduling keys' wording: config/schema/scheduling.ts)
     * and, when the scheduling keys reach only some of its pods, which ones.
     */
    readonly section: {
        readonly description: string;
        readonly install: string;
        readonly product: string;
        readonly scheduledPods?: string;
    };
}

/** By config section. */
export const RELEASES = {
    postgresql: {
        chart: "postgresql",
        releaseName: "pulse-postgresql",
        pods: { "app.kubernetes.io/name": "postgresql", "app.kubernetes.io/instance": "pulse-postgresql" },
        // Architecture standalone unless noted.
        renders: [
            "NetworkPolicy/pulse-postgresql", // primary.networkPolicy.enabled, default true; the program turns it off
            "PodDisruptionBudget/pulse-postgresql",
            "Secret/pulse-postgresql", // only without auth.existingSecret; the program always sets it
            "Service/pulse-postgresql",
            "Service/pulse-postgresql-hl",
            "Service/pulse-postgresql-metrics", // metrics.enabled (global.metrics.enabled and postgresql.metrics.enabled)
            "Service/pulse-postgresql-primary-metrics", // the same, architecture replication
            "ServiceAccount/pulse-postgresql",
            "StatefulSet/pulse-postgresql",
            "CronJob/pulse-postgresql-pgdumpall", // backup.enabled (pulse:postgresql.backup)
            "NetworkPolicy/pulse-postgresql-pgdumpall", // backup.cronjob.networkPolicy.enabled, default true; the program turns it off
            "PersistentVolumeClaim/pulse-postgresql-pgdumpall", // backup, without backup.cronjob.storage.existingClaim; kept on uninstall
            // Architecture replication (pulse:postgresql.architecture): the primary's objects are <release>-primary, the
            // replicas' <release>-read; the backup's follow the primary.
            "StatefulSet/pulse-postgresql-primary",
            "Service/pulse-postgresql-primary",
            "Service/pulse-postgresql-primary-hl",
            "PodDisruptionBudget/pulse-postgresql-primary",
            "NetworkPolicy/pulse-postgresql-primary", // off, like the standalone one
            "StatefulSet/pulse-postgresql-read",
            "Service/pulse-postgresql-read",
            "Service/pulse-postgresql-read-hl",
            "PodDisruptionBudget/pulse-postgresql-read",
            "NetworkPolicy/pulse-postgresql-read", // readReplicas.networkPolicy.enabled; the program turns it off
            "Service/pulse-postgresql-read-metrics", // metrics.enabled, architecture replication
            "CronJob/pulse-postgresql-primary-pgdumpall",
            "NetworkPolicy/pulse-postgresql-primary-pgdumpall",
            "PersistentVolumeClaim/pulse-postgresql-primary-pgdumpall",
        ],
        /** The server; the Prometheus exporter sidecar (`metrics.containerPorts.metrics`, container port `http-metrics`). */
        ports: { postgresql: 5432, metrics: 9187 },
        // The read replicas stream from the primary, the backup Job dumps it: the release's pods to each other's server port.
        talksTo: ["postgresql:postgresql"],
        source: { repository: "oci://registry-1.docker.io/bitnamicharts", version: "15.5.38", timeoutSeconds: 600 },
        upstream: {
            repository: "bitnami/charts",
            path: "bitnami/postgresql",
            tag: "postgresql/15.5.38",
            commit: "105fcbb5c090c6f0b10858cdcc33dfc255c0c7e4",
            dependencies: [
                {
                    name: "common",
                    version: "2.23.0",
                    repository: "bitnami/charts",
                    path: "bitnami/common",
                    tag: "common/2.23.0",
                    commit: "7e44e64626f5b1fc6d56889cdfdeadc1f62c7cf1",
                },
            ],
        },
        images: { registry: { path: "global.imageRegistry", as: "value" }, pullSecrets: "global.imagePullSecrets" },
        chartNetworkPolicies: ["primary.networkPolicy.enabled", "readReplicas.networkPolicy.enabled", "backup.cronjob.networkPolicy.enabled"],
        // The chart's defaults are restricted: the program leaves them, and turns the root init container off.
        securityContexts: [
            { pod: "primary.podSecurityContext", containers: ["primary.containerSecurityContext", "metrics.containerSecurityContext"] },
            { pod: "readReplicas.podSecurityContext", containers: ["readReplicas.containerSecurityContext", "metrics.containerSecurityContext"] },
            { pod: "backup.cronjob.podSecurityContext", containers: ["backup.cronjob.containerSecurityContext"], when: "backup.enabled" },
        ],
        // The read replicas (component `read`) are the replication architecture's; the backup CronJob has only these two keys.
        scheduling: [
            { at: "primary", bitnamiComponent: "primary" },
            { at: "readReplicas", bitnamiComponent: "read" },
            { at: "backup.cronjob", keys: ["nodeSelector", "tolerations"] },
        ],
        // bitnami/postgresql 15.5.38: its emptyDirs, /dev/shm and the data volume.
        ownMounts: ["/tmp", "/opt/bitnami/postgresql/conf", "/opt/bitnami/postgresql/tmp", "/opt/bitnami/postgresql/logs", "/dev/shm", "/bitnami/postgresql"],
        section: {
            description:
                "In-cluster PostgreSQL (Bitnami chart 15.5.38, PostgreSQL 16.4). The workloads' scheduling keys apply to the primary and the read replicas (nodeSelector and tolerations also to the backup CronJob), and `affinity` keeps the chart's spreading over hosts; no `envFrom`: the chart takes one extra ConfigMap and one extra Secret, not a list of sources",
            install: "Install PostgreSQL in-cluster (Bitnami chart); false for a managed database",
            product: "PostgreSQL",
            scheduledPods: "the primary (and read replicas)",
        },
    },
    emqx: {
        chart: "emqx",
        releaseName: "pulse-emqx",
        pods: { "app.kubernetes.io/name": "emqx", "app.kubernetes.io/instance": "pulse-emqx" },
        renders: [
            "ConfigMap/pulse-emqx-env",
            "PodDisruptionBudget/pulse-emqx-pdb", // pdb.enabled; the program enables it with more than one node
            "Role/pulse-emqx",
            "RoleBinding/pulse-emqx",
            "Service/pulse-emqx",
            "Service/pulse-emqx-headless",
            "ServiceAccount/pulse-emqx",
            "StatefulSet/pulse-emqx",
        ],
        /**
         * The internal listener (the Pulse services, authenticated); the devices' mutual-TLS listener (the chart's
         * `mqttssl` container port, same number) and its secure WebSocket one (`wss`), when configured; the dashboard
         * and REST API.
         */
        ports: { mqtt: 1883, mqttssl: 8883, wss: 8084, api: 18083 },
        // Cluster traffic; the Kubernetes API (the chart's k8s discovery); ui's internal authentication and ACL endpoints;
        // the CRL distribution points (with the CRL check on).
        talksTo: ["emqx:*", "apiserver:https", "ui:http", "internet:crl"],
        source: { repository: "https://repos.emqx.io/charts", version: "5.8.9", timeoutSeconds: 600 },
        upstream: { repository: "emqx/emqx", path: "deploy/charts/emqx", tag: "v5.8.9", commit: "a8319fe2390169e1f2483e3ec80dd01a6cdb233d" },
        images: { registry: { path: "image.repository", as: "prefix" }, pullSecrets: "image.pullSecrets" },
        chartNetworkPolicies: [],
        securityContexts: [{ pod: "podSecurityContext", containers: ["containerSecurityContext"] }],
        // Every key at the top level; the chart spreads nothing itself.
        scheduling: [{ at: "" }],
        // The chart's data volume and the program's Secrets (components/emqx.ts).
        ownMounts: ["/opt/emqx/data", "/opt/emqx/etc/pulse-bootstrap", "/opt/emqx/etc/certs/server", "/opt/emqx/etc/certs/device-ca"],
        chartPodLabels: ["app", "version"],
        section: {
            description:
                "EMQX MQTT broker (chart 5.8.9). The workloads' scheduling keys apply to its nodes (the chart spreads nothing by itself); no `envFrom`: the chart takes one Secret of environment, which holds the program's credentials",
            install: "Install the EMQX MQTT broker in-cluster",
            product: "EMQX",
        },
    },
    nats: {
        type: "pulse:nats:Nats",
        chart: "nats",
        releaseName: "pulse-nats",
        pods: { "app.kubernetes.io/name": "nats", "app.kubernetes.io/instance": "pulse-nats" },
        renders: [
            "ConfigMap/pulse-nats-config",
            "Deployment/pulse-nats-box", // natsBox.enabled, default true; the program turns it off unless nats.natsBox.enabled
            "PodDisruptionBudget/pulse-nats",
            "Secret/pulse-nats-box-contexts", // with nats-box
            "Service/pulse-nats",
            "Service/pulse-nats-headless",
            "StatefulSet/pulse-nats",
        ],
        /** Clients; the chart's Prometheus exporter sidecar (`promExporter.port`, container port `prom-metrics`). */
        ports: { client: 4222, metrics: 7777 },
        talksTo: ["nats:*"],
        source: { repository: "https://nats-io.github.io/k8s/helm/charts/", version: "1.2.11", timeoutSeconds: 600 },
        upstream: { repository: "nats-io/k8s", path: "helm/charts/nats", tag: "nats-1.2.11", commit: "1876e42b47a317bc24ac11c31c96e5f7306ad743" },
        images: { registry: { path: "global.image.registry", as: "value" }, pullSecrets: "global.image.pullSecretNames" },
        chartNetworkPolicies: [],
        // The chart has no securityContext values: the program's go in through its merge hooks.
        securityContexts: [
            {
                pod: "podTemplate.merge.spec.securityContext",
                containers: ["container.merge.securityContext", "reloader.merge.securityContext", "promExporter.merge.securityContext"],
            },
            { pod: "natsBox.podTemplate.merge.spec.securityContext", containers: ["natsBox.container.merge.securityContext"], when: "natsBox.enabled" },
        ],
        section: {
            description:
                "NATS with JetStream (chart 1.2.11; the original Helm chart's 0.x `nats.nats.jetstream` keys moved here). The workloads' scheduling keys apply to the NATS servers and nats-box (the chart spreads nothing by itself); `envFrom` reaches the nats-server container; no `extraVolumes`: the chart's merge hook would replace the pod's volumes, not add to them",
            install: "Install NATS JetStream in-cluster",
            product: "NATS",
        },
    },
} as const satisfies Record<string, ReleaseEntry>;

export type ReleaseKey = keyof typeof RELEASES;
export const RELEASE_KEYS = Object.keys(RELEASES) as ReleaseKey[];

/** The releases the generic component installs: the entries with a `type`. */
export type GenericReleaseKey = { [K in ReleaseKey]: (typeof RELEASES)[K] extends { readonly type: string } ? K : never }[ReleaseKey];
export const GENERIC_RELEASE_KEYS = RELEASE_KEYS.filter((k): k is GenericReleaseKey => "type" in RELEASES[k]);
