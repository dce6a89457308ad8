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

export function restrictedContainerSecurityContext() {
    return {
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
    };
}
