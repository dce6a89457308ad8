/**
 * The API server's own rules for names, labels and annotations, transcribed from Kubernetes' apimachinery v0.35.4
 * (the version of the cluster the integration suite runs, kube-apiserver v1.35.4):
 *   - k8s.io/apimachinery/pkg/api/validate/content/kube.go: IsLabelKey (= IsQualifiedName), IsLabelValue;
 *   - k8s.io/apimachinery/pkg/api/validate/content/dns.go: IsDNS1123Label, IsDNS1123Subdomain;
 *   - k8s.io/apimachinery/pkg/api/validation/objectmeta.go: ValidateAnnotations (keys are qualified names once
 *     lower-cased) and TotalAnnotationSizeLimitB (256 KiB, keys and values together);
 *   - k8s.io/apimachinery/pkg/apis/meta/v1/validation/validation.go: ValidateLabels (keys and values as above).
 * Go's len() counts bytes: so do the length checks here. Each function returns the reasons, [] when valid.
 */

const DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
export const DNS1123_LABEL_RE = new RegExp(`^${DNS1123_LABEL}$`);
export const DNS1123_SUBDOMAIN_RE = new RegExp(`^${DNS1123_LABEL}(\\.${DNS1123_LABEL})*$`);
export const DNS1123_LABEL_MAX = 63;
export const DNS1123_SUBDOMAIN_MAX = 253;
const LABEL_KEY = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_KEY_RE = new RegExp(`^${LABEL_KEY}$`);
const LABEL_VALUE_RE = new RegExp(`^(${LABEL_KEY})?$`);
const LABEL_KEY_MAX = 63;
const LABEL_VALUE_MAX = 63;
/** objectmeta.go TotalAnnotationSizeLimitB. */
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * (1 << 10);

const bytes = (s: string): number => Buffer.byteLength(s, "utf8");

export function isDNS1123Label(value: string): string[] {
    const errs: string[] = [];
    if (bytes(value) > DNS1123_LABEL_MAX) errs.push(`must be no more than ${DNS1123_LABEL_MAX} characters`);
    if (!DNS1123_LABEL_RE.test(value)) {
        errs.push(
            DNS1123_SUBDOMAIN_RE.test(value)
                ? "must not contain dots"
                : "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
        );
    }
    return errs;
}

function isDNS1123Subdomain(value: string): string[] {
    const errs: string[] = [];
    if (bytes(value) > DNS1123_SUBDOMAIN_MAX) errs.push(`must be no more than ${DNS1123_SUBDOMAIN_MAX} characters`);
    if (!DNS1123_SUBDOMAIN_RE.test(value)) {
        errs.push(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        );
    }
    return errs;
}

/** A label key (and a qualified name): `[prefix/]name`, the prefix a DNS subdomain, the name at most 63 characters. */
export function isLabelKey(value: string): string[] {
    const errs: string[] = [];
    const parts = value.split("/");
    let name: string;
    switch (parts.length) {
        case 1:
            name = parts[0];
            break;
        case 2: {
            const prefix = parts[0];
            name = parts[1];
            if (prefix.length === 0) errs.push("prefix part must be non-empty");
            else errs.push(...isDNS1123Subdomain(prefix).map((m) => `prefix part ${m}`));
            break;
        }
        default:
            return [
                "must be a valid label key: alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character, with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
            ];
    }
    if (name.length === 0) errs.push("name part must be non-empty");
    else if (bytes(name) > LABEL_KEY_MAX) errs.push(`name part must be no more than ${LABEL_KEY_MAX} characters`);
    if (!LABEL_KEY_RE.test(name)) {
        errs.push("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
    }
    return errs;
}

export function isLabelValue(value: string): string[] {
    const errs: string[] = [];
    if (bytes(value) > LABEL_VALUE_MAX) errs.push(`must be no more than ${LABEL_VALUE_MAX} characters`);
    if (!LABEL_VALUE_RE.test(value)) {
        errs.push("must be empty or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character");
    }
    return errs;
}

/** An annotation key: a qualified name once lower-cased (objectmeta.go ValidateAnnotations). */
export const isAnnotationKey = (key: string): string[] => isLabelKey(key.toLowerCase());

/** Bytes of keys and values, as ValidateAnnotationsSize counts them. */
export const annotationsSize = (annotations: Readonly<Record<string, string>>): number =>
    Object.entries(annotations).reduce((sum, [k, v]) => sum + bytes(k) + (typeof v === "string" ? bytes(v) : 0), 0);
