/**
 * Container image references as the container runtimes parse them: github.com/distribution/reference v0.6.0
 * (regexp.go: the grammar; reference.go: RepositoryNameTotalLengthMax; normalize.go: splitDockerDomain, which decides
 * whether a reference's first component is a registry). The regular expressions are regexp.go's, composed the same way.
 */

const alphanumeric = "[a-z0-9]+";
const separator = "(?:[._]|__|[-]+)";
const domainNameComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const optionalPort = "(?::[0-9]+)?";
/** Go's \w is ASCII: [0-9A-Za-z_]. */
const tag = "[0-9A-Za-z_][0-9A-Za-z_.-]{0,127}";
const digestPat = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}";
const ipv6address = "\\[(?:[a-fA-F0-9:]+)\\]";
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const host = `(?:${domainName}|${ipv6address})`;
const domainAndPort = host + optionalPort;
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const namePat = `(?:${domainAndPort}/)?${remoteName}`;

export const TAG_RE = new RegExp(`^${tag}$`);
/** A registry: domainAndPort. */
export const DOMAIN_RE = new RegExp(`^${domainAndPort}$`);
/** A repository path (remote name) below a registry. */
export const REMOTE_NAME_RE = new RegExp(`^${remoteName}$`);
export const REFERENCE_RE = new RegExp(`^(${namePat})(?::(${tag}))?(?:@(${digestPat}))?$`);
/** reference.go RepositoryNameTotalLengthMax: of the path, the registry excluded. */
export const REPOSITORY_MAX = 255;

/**
 * Whether the runtime reads `registry` as a registry when it is the first component of a reference (normalize.go
 * splitDockerDomain): "localhost", or a name with a '.' or ':', or one with capitals. Otherwise it is taken as a Docker
 * Hub namespace (registry/repo means docker.io/registry/repo).
 */
export const readAsRegistry = (registry: string): boolean => registry === "localhost" || /[.:]/.test(registry) || registry.toLowerCase() !== registry;
