/**
 * NATS with JetStream (chart nats 1.2.11) or an external NATS. Values use the chart's 1.x layout
 * (`config.jetstream.*`): the spec's 0.x keys are silently ignored by this chart. The chart has no securityContext
 * values; the restricted settings go in through its `merge` hooks. The generic release component installs it
 * (components/release.ts), with these values (components/releases.ts).
 */
import { PulseConfig } from "../config";
import { NATS_PORT, NATS_RELEASE } from "../lib/contracts";
import { schedulingValues, withScheduling } from "../lib/releaseScheduling";
import { resourceRequirements } from "../lib/resources";
import { natsExporterValues } from "../lib/metrics";
import { restrictedContainerSecurityContext, restrictedPodSecurityContext } from "../lib/security";

// NATS_RELEASE: the chart's fullname and client Service are the release name because it contains "nats".
/** nats-server runs as this uid under the injected securityContext; fsGroup makes /data writable. */
const NATS_UID = 1000;

/** The config reloader (and nats-box, when on) are tiny and not configurable. */
const SIDECAR_RESOURCES = { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } };

/** Values for nats 1.2.11: the chart's settings, then the section's scheduling keys (lib/releaseScheduling.ts). */
export function natsValues(nats: PulseConfig["nats"], global: PulseConfig["global"]): Record<string, unknown> {
    return withScheduling(natsChartValues(nats, global), schedulingValues("nats", nats));
}

function natsChartValues(nats: PulseConfig["nats"], global: PulseConfig["global"]): Record<string, unknown> {
    const podSecurity = { spec: { securityContext: restrictedPodSecurityContext(NATS_UID) } };
    const containerSecurity = restrictedContainerSecurityContext();
    const { memoryStore, fileStore } = nats.jetstream;
    return {
        global: {
            image: {
                ...(global.imageRegistry ? { registry: global.imageRegistry } : {}),
                pullSecretNames: global.imagePullSecrets,
            },
        },
        config: {
            cluster: nats.replicaCount > 1 ? { enabled: true, replicas: nats.replicaCount } : { enabled: false },
            jetstream: {
                enabled: true,
                memoryStore: { enabled: memoryStore.enabled, maxSize: memoryStore.maxSize },
                fileStore: {
                    enabled: fileStore.enabled,
                    pvc: {
                        enabled: fileStore.enabled,
                        size: fileStore.size,
                        ...(fileStore.storageClassName ? { storageClassName: fileStore.storageClassName } : {}),
                    },
                },
            },
        },
        container: { merge: { resources: resourceRequirements(nats.resources), securityContext: containerSecurity } },
        reloader: { merge: { resources: SIDECAR_RESOURCES, securityContext: containerSecurity } },
        podTemplate: { merge: podSecurity },
        natsBox: nats.natsBox.enabled
            ? {
                  enabled: true,
                  container: { merge: { resources: SIDECAR_RESOURCES, securityContext: containerSecurity } },
                  podTemplate: { merge: podSecurity },
              }
            : { enabled: false },
        ...natsExporterValues(nats, global),
    };
}

/** The URL Pulse's workloads connect to: the release's client Service, or the external NATS. */
export function natsUrl(nats: PulseConfig["nats"]): string {
    return nats.enabled ? `nats://${NATS_RELEASE}:${NATS_PORT}` : nats.externalUrl;
}
