/**
 * CIDR blocks as Kubernetes' NetworkPolicy validation reads them: an IPv4 or IPv6 address (no leading zeros, no zone)
 * and a prefix length within the family's width; and whether one block lies strictly inside another (an ipBlock's
 * `except` entries must, or the API server rejects the policy).
 */
import * as net from "net";

export interface Cidr {
    readonly address: string;
    readonly family: "ipv4" | "ipv6";
    readonly prefix: number;
}

/** The parsed block, or why it is not one. */
export function parseCidr(text: string): Cidr | string {
    const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
    if (!m) return "an address and a prefix length, separated by '/'";
    const [, address, bits] = m;
    const kind = address.includes("%") ? 0 : net.isIP(address);
    if (kind === 0) return `${address} is not an IPv4 or IPv6 address`;
    const prefix = Number(bits);
    const width = kind === 4 ? 32 : 128;
    if (prefix > width) return `an IPv${kind} prefix length is at most ${width}, not ${prefix}`;
    return { address, family: kind === 4 ? "ipv4" : "ipv6", prefix };
}

/** Whether an address of the given family lies inside `block`. */
export function contains(block: Cidr, address: string, family: Cidr["family"]): boolean {
    if (block.family !== family) return false;
    const list = new net.BlockList();
    list.addSubnet(block.address, block.prefix, block.family);
    return list.check(address, family);
}

/** Whether `inner` is a strict subset of `outer` (same family, longer prefix, inside its range). */
export function strictlyInside(inner: Cidr, outer: Cidr): boolean {
    return inner.family === outer.family && inner.prefix > outer.prefix && contains(outer, inner.address, inner.family);
}

/** A block the config schema has already validated. */
export function cidrOf(text: string): Cidr {
    const parsed = parseCidr(text);
    if (typeof parsed === "string") throw new Error(`CIDR "${text}" ${parsed}`);
    return parsed;
}
