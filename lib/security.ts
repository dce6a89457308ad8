/** Pod Security "restricted" settings, one definition for every pod the platform shapes. */

/** A non-root identity (images fix their own uid: EMQX and NATS run as 1000, Pulse as 10001); volumes owned by gid. */
export function restrictedPodSecurityContext(uid: number, gid: number = uid) {
    return {
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: gid,
        fsGroup: gid,
        seccompProfile: { type: "RuntimeDefault" },
    };
}

export interface ContainerIdentity {
    /** Non-root uid; gid defaults to it. */
    readonly uid?: number;
    readonly gid?: number;
    readonly readOnlyRootFilesystem?: boolean;
    /** Added back after dropping ALL; "restricted" allows only NET_BIND_SERVICE. */
    readonly addCapabilities?: readonly "NET_BIND_SERVICE"[];
}

export function restrictedContainerSecurityContext(id: ContainerIdentity = {}) {
    return {
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"], ...(id.addCapabilities?.length ? { add: [...id.addCapabilities] } : {}) },
        runAsNonRoot: true,
        ...(id.uid !== undefined ? { runAsUser: id.uid, runAsGroup: id.gid ?? id.uid } : {}),
        ...(id.readOnlyRootFilesystem !== undefined ? { readOnlyRootFilesystem: id.readOnlyRootFilesystem } : {}),
        seccompProfile: { type: "RuntimeDefault" },
    };
}
