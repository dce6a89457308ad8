/** Pod storage every Pulse pod shares: a writable /tmp, extra scratch emptyDirs, and ConfigMaps or Secrets mounted read-only. */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ResourcesConfig } from "../config";
import { ResolvedImage } from "./images";

/** What every Pulse pod (Deployment or Job) is made of: one container, its identity and its storage. */
export interface PodArgs {
    readonly namespace: pulumi.Input<string>;
    /** Stable key: objects are named objectName(component) (lib/contracts; a Job adds a suffix). */
    readonly component: string;
    readonly image: ResolvedImage;
    readonly imagePullSecrets: readonly string[];
    readonly resources: ResourcesConfig;
    readonly command?: readonly string[];
    readonly env?: readonly k8s.types.input.core.v1.EnvVar[];
    readonly configMounts?: Readonly<Record<string, ConfigMount>>;
    /** Non-root identity. */
    readonly runAsUser: number;
}

/** A ConfigMap, or a Secret, mounted read-only as a directory. */
export type ConfigMount =
    | { readonly configMapName: pulumi.Input<string>; readonly mountPath: string }
    | { readonly secretName: pulumi.Input<string>; readonly mountPath: string };

/**
 * Volumes and the matching container mounts. `scratch` maps volume name -> mount path (emptyDirs, so the root file
 * system can stay read-only); `/tmp` is always there.
 */
export function podStorage(scratch: Readonly<Record<string, string>> = {}, configMounts: Readonly<Record<string, ConfigMount>> = {}) {
    const emptyDirs = { tmp: "/tmp", ...scratch };
    return {
        volumes: [
            ...Object.keys(emptyDirs).map((name) => ({ name, emptyDir: {} })),
            ...Object.entries(configMounts).map(([name, m]) =>
                "secretName" in m ? { name, secret: { secretName: m.secretName } } : { name, configMap: { name: m.configMapName } },
            ),
        ],
        volumeMounts: [
            ...Object.entries(emptyDirs).map(([name, mountPath]) => ({ name, mountPath })),
            ...Object.entries(configMounts).map(([name, m]) => ({ name, mountPath: m.mountPath, readOnly: true })),
        ],
    };
}
