/**
 * The IR: closed, tagged, readonly, JSON-serializable. Every rule carries the
 * origin that produced it. Backends lower it without any I/O; what `expand` saw
 * on the Host is recorded here (node kinds, symlink targets, glob matches).
 */

/** A JSON pointer to a value in the settings document ("/filesystem/denyRead/2"). */
export type Pointer = `/${string}`;

/** A command-line option that added to the settings for one run (`srt --allow-domain D -- cmd`). */
export type CliOrigin = "cli:--allow-domain" | "cli:--deny-domain" | "cli:--allow-write" | "cli:--deny-read";

/**
 * Where a rule comes from: a settings value, a command-line option (`cli:--allow-domain`), a
 * mandatory rule ("mandatory:git-hooks"), a default ("default:cwd", "default"), a variable of srt's
 * environment ("env:HTTPS_PROXY"), or a preset the settings extend ("preset:node", schema/presets.json).
 */
export type Origin =
  Pointer | CliOrigin | `mandatory:${string}` | `default:${string}` | `env:${string}` | `preset:${string}` | "default";

export type Access = "read" | "write";
export type Effect = "allow" | "deny";

/**
 * What was at the path when the policy was compiled. "absent" rules still matter:
 * a write deny on an absent file inside a writable directory must stop its creation.
 */
export type NodeState = "file" | "dir" | "other" | "absent";

/** How a concrete path entered the IR. */
export type PathVia =
  | { readonly kind: "literal" }
  /** A match of a glob; `pattern` is the absolute, normalized glob. */
  | { readonly kind: "glob"; readonly pattern: string }
  /** The real path behind a symlinked spelling; `spelled` is what the rule said. */
  | { readonly kind: "symlink"; readonly spelled: string };

export interface PathRule {
  readonly kind: "path";
  readonly access: Access;
  readonly effect: Effect;
  /** Absolute, normalized, no trailing slash (except "/"), never containing "..". */
  readonly path: string;
  readonly node: NodeState;
  /**
   * Only for an absent path that must be held as a directory when a backend has
   * to create it (a missing `.git`: an empty directory is skipped by git's
   * repository discovery, an empty file would break every git command below it).
   */
  readonly shape?: "dir";
  /**
   * The text of the file that holds this path when a backend has to create it
   * (absent now, or gone by the time the command runs). Only for git's
   * `commondir`, held as "." (this directory): git treats an empty one as a
   * fatal error in every command, so an empty placeholder would break git.
   */
  readonly content?: string;
  readonly via: PathVia;
  readonly origin: Origin;
}

/**
 * A glob as written (absolute, normalized). Backends that can match dynamically
 * (Seatbelt regexes) use it directly; bwrap can only use the `PathRule`s the
 * expansion produced, so a file created later that matches is not covered there.
 */
export interface GlobRule {
  readonly kind: "glob";
  readonly access: Access;
  readonly effect: Effect;
  readonly pattern: string;
  /** Number of concrete matches recorded as PathRules with via.kind === "glob". */
  readonly matches: number;
  readonly origin: Origin;
}

export type FsRule = PathRule | GlobRule;

/** A parsed, canonical domain pattern (see src/compiler/domains). */
export type HostPattern =
  | { readonly kind: "any" } // bare "*" (deny list only)
  | { readonly kind: "name"; readonly name: string } // exact, canonical (lower case, punycode, no trailing dot)
  | { readonly kind: "subdomains"; readonly name: string } // "*.example.com": strict subdomains of name
  | { readonly kind: "ipv4"; readonly address: string } // dotted quad, canonical
  | { readonly kind: "ipv6"; readonly address: string }; // canonical RFC 5952 text, no brackets

export interface NetRule {
  readonly kind: "net";
  readonly effect: Effect;
  readonly host: HostPattern;
  /** undefined = any port. */
  readonly port?: number;
  /** The entry as the user wrote it. */
  readonly source: string;
  readonly origin: Origin;
  /** A deny rule's reason from deniedDomainReasons: shown in the 403, the SOCKS log and the violation. */
  readonly reason?: string;
}

export interface AddressRule {
  readonly kind: "address";
  /** Canonical network address + prefix length, e.g. "10.0.0.0/8", "fd00::/8". */
  readonly cidr: string;
  readonly family: 4 | 6;
  readonly origin: Origin;
}

export interface UnixSocketRule {
  readonly kind: "unix-socket";
  readonly path: string;
  readonly origin: Origin;
}

export interface NetworkPolicy {
  readonly rules: readonly NetRule[];
  readonly deniedResolvedAddresses: readonly AddressRule[];
  readonly unixSockets: readonly UnixSocketRule[];
  readonly allowAllUnixSockets: Flag;
  readonly allowLocalBinding: Flag;
  /** Fixed host-side ports for the proxies; undefined = pick free ones at run time. */
  readonly httpProxyPort?: number;
  readonly socksProxyPort?: number;
  readonly mitmProxy?: { readonly socketPath: string; readonly domains: readonly NetRule[]; readonly origin: Origin };
  /** An upstream proxy allowed traffic leaves through (settings, else srt's HTTP(S)_PROXY). */
  readonly parentProxy?: ParentProxy;
  /** HTTPS to allowed hosts is terminated in srt's proxy (network.tlsTerminate); absent = every tunnel is opaque. */
  readonly tlsTerminate?: TlsTerminatePolicy;
  /** Secrets the command sees only as sentinels, swapped back by the proxy (credentials, mode "mask"). */
  readonly masks?: CredentialMasks;
  /** network.strictAllowlist, when set: true = a library ask callback is never consulted. */
  readonly strictAllowlist?: Flag;
  /** Per-request checks of the HTTP proxy (refuseOpaqueTunnels, requireHostMatch, …); absent = none set. */
  readonly requestFilters?: RequestFilters;
  /** macOS: extra Mach services (network.allowMachLookup); a name ending in `*` is a prefix. */
  readonly machLookup?: { readonly names: readonly string[]; readonly origin: Origin };
}

/** The request-filter keys of `network`, each with where it was set (request-filters.ts). */
export interface RequestFilters {
  /** Refuse CONNECTs that are not TLS-terminated, CONNECTs that carry no TLS, and every SOCKS connection. */
  readonly refuseOpaqueTunnels?: Flag;
  /** 421 when the Host header / absolute-form authority / TLS server name names another host:port. */
  readonly requireHostMatch?: Flag;
  /** Response headers dropped before the answer reaches the command; names folded (lower case, `_` `.` read as `-`). */
  readonly stripResponseHeaders?: { readonly names: readonly string[]; readonly origin: Origin };
  /** A library filterRequest may set headers on plain HTTP. */
  readonly allowPlaintextHeaderSet?: Flag;
  /** What becomes of a target whose normalized form names another path. */
  readonly ambiguousRequestTarget?: {
    readonly value: "refuse" | "asSpelled" | "normalize";
    readonly origin: Origin;
  };
}

/**
 * One upstream proxy. The URL's user:password never enters the IR (plans,
 * goldens and explain are read by people and written to disk): `credentials`
 * says where the runtime finds them again — the settings value at that
 * pointer, or `env:NAME` in srt's environment.
 */
export interface UpstreamProxy {
  readonly scheme: "http" | "https";
  /** A name or an IP literal (IPv6 without brackets). */
  readonly host: string;
  readonly port: number;
  readonly credentials?: Origin;
  /** The settings pointer, or `env:HTTPS_PROXY` and the like. */
  readonly origin: Origin;
}

export interface ParentProxy {
  /** For absolute-form plain HTTP. */
  readonly http?: UpstreamProxy;
  /** For CONNECT tunnels and SOCKS connections. */
  readonly https?: UpstreamProxy;
  /** Dialled directly instead (loopback always is): `*`, host suffixes, CIDR ranges. */
  readonly noProxy: {
    readonly all: boolean;
    readonly suffixes: readonly string[];
    readonly cidrs: readonly string[];
    readonly origin: Origin;
  };
}

export interface TlsTerminatePolicy {
  /** Both or neither; absent = a new CA for each run, its key only in srt's memory. */
  readonly ca?: { readonly certPath: string; readonly keyPath: string };
  /** Tunnelled opaquely, never terminated. */
  readonly excludeDomains: readonly NetRule[];
  /** Extra roots: in the command's trust bundle and for verifying upstream servers. */
  readonly extraCaCertPaths: readonly string[];
  readonly maxTunnels: number;
  readonly handshakeTimeoutMs: number;
  readonly origin: Origin;
}

/**
 * One masked secret. The IR names where the secret lives, never its value: the
 * runtime reads it when the run starts, so plans, goldens and explain cannot hold it.
 */
export interface CredentialMask {
  readonly source: { readonly kind: "env"; readonly name: string } | { readonly kind: "file"; readonly path: string };
  /** Only capture group 1 of each match is masked (JavaScript regex source, flag g added). */
  readonly extract?: string;
  /** Mask inside JSON Web Tokens (runtime/proxy/credentials/jwt.ts). */
  readonly decode?: "jwt";
  /** With decode: only these top-level claims are masked. */
  readonly maskClaims?: readonly string[];
  /** Every verbatim copy of a masked value elsewhere in the file is masked too. */
  readonly maskDuplicates?: boolean;
  /** When extract (or decode) finds nothing. */
  readonly onExtractNoMatch: "warn" | "deny" | "error";
  /** Where the real value may go; the default is the allow list (origin "default:allowedDomains"). */
  readonly injectHosts: readonly NetRule[];
  readonly origin: Origin;
}

export interface CredentialMasks {
  readonly entries: readonly CredentialMask[];
  /**
   * Masked AWS key pairs, by the variables that hold each part (all whole-value
   * env masks in entries). A request signed with the key id's sentinel is
   * re-signed (SigV4) with the real secret, only towards the key id's injectHosts.
   */
  readonly awsPairs?: readonly AwsPair[];
  /** What becomes of SigV4 requests with a pair's sentinel that cannot be re-signed; set with awsPairs. */
  readonly sigv4?: Sigv4Policies;
  /** Inject into plain HTTP too (default: only into TLS that srt terminated). */
  readonly allowPlaintextInject: Flag;
}

export interface AwsPair {
  readonly accessKeyIdVar: string;
  readonly secretAccessKeyVar: string;
  readonly sessionTokenVar?: string;
  /** The awsPairs entry, or "default:AWS_ACCESS_KEY_ID" for the conventional trio. */
  readonly origin: Origin;
}

export interface Sigv4Policies {
  /** aws-chunked payloads (x-amz-content-sha256: STREAMING-…): their chunk signatures chain off the seed. */
  readonly streaming: Sigv4Choice;
  /** Signature in the query (X-Amz-Credential / X-Amz-Signature). */
  readonly presigned: Sigv4Choice;
  /** AWS4-ECDSA-P256-SHA256: no shared-key HMAC to recompute. */
  readonly sigv4a: Sigv4Choice;
}

export interface Sigv4Choice {
  readonly value: "deny" | "passthrough";
  readonly origin: Origin;
}

/** A boolean switch with the place that set it (or "default:…"). */
export interface Flag {
  readonly value: boolean;
  readonly origin: Origin;
}

export interface EnvPolicy {
  readonly inherit: "all" | "core" | "none";
  /** Glob-like name patterns (`*` wildcard), case-sensitive. allow adds to inherit; deny wins over both. */
  readonly allow: readonly string[];
  readonly deny: readonly string[];
  readonly origin: Origin;
  /**
   * git.safeDirectories: absolute directories git trusts as `safe.directory` (each also with `/*`,
   * for the repositories below it), passed as GIT_CONFIG_* variables after the caller's own.
   */
  readonly gitSafeDirectories?: { readonly paths: readonly string[]; readonly origin: Origin };
}

export interface IgnoreRule {
  readonly command: string;
  readonly violations: readonly string[];
  readonly origin: Origin;
}

/** A requested resource limit, in the unit its field names, with the place that set it. */
export interface LimitValue {
  readonly value: number;
  readonly origin: Origin;
}

/**
 * Resource limits for the whole sandboxed tree (settings key `limits`, and the
 * seed's `docker.cpuLimit`/`docker.memoryLimit`). Absent = not limited. Every
 * backend maps them as it can (bwrap: a per-run cgroup or rlimits; OCI:
 * `linux.resources` and `process.rlimits`); a requested limit the run cannot
 * enforce fails the run unless `bestEffort` is set.
 */
export interface ResourceLimits {
  /** Bytes of memory (a cgroup's limit for the tree; RLIMIT_DATA per process as the fallback). */
  readonly memory?: LimitValue;
  /** Number of processes and threads in the tree. */
  readonly pids?: LimitValue;
  /** CPU time per wall time, in cores (0.5 = half of one CPU); may be fractional. */
  readonly cpu?: LimitValue;
  /** Milliseconds from the start of the command until srt kills the sandbox. */
  readonly wallTime?: LimitValue;
  /** Bytes: the largest file a process may write (RLIMIT_FSIZE). */
  readonly fileSize?: LimitValue;
  /** Open file descriptors per process (RLIMIT_NOFILE). */
  readonly openFiles?: LimitValue;
  /** true: a limit this host cannot enforce is reported and skipped instead of failing the run. */
  readonly bestEffort: Flag;
}

export interface Policy {
  readonly kind: "policy";
  readonly version: 1;
  /** Where the settings came from: a file path, or "default" when none was found. */
  readonly source: string;
  /**
   * The facts the compile rests on (cwd, home, platform) so a plan can be checked against its run.
   */
  readonly context: {
    readonly cwd: string;
    readonly home: string;
    readonly platform: "linux" | "darwin";
    /**
     * srt's per-user state directory (run dirs, placeholder registry), hidden in every Linux
     * sandbox and never writable; a plan runs only where srt uses this same directory.
     */
    readonly stateDir: string;
    /** The kernel has /proc/sys/fs/binfmt_misc (often a systemd automount point); Linux hides it. Absent: it has not. */
    readonly binfmtMisc?: true;
  };
  /** Read denies, read re-allows, write allows, write denies (mandatory ones included), sorted. */
  readonly filesystem: {
    readonly rules: readonly FsRule[];
    /** The per-run private temp dir is always writable; its path is chosen at run time. */
    readonly privateTmp: true;
    /**
     * filesystem.disabled: the settings asked for no file-system rules. The rules are then only
     * "everything writable" (no mandatory denies); srt's state directory stays hidden.
     */
    readonly disabled?: Origin;
  };
  /** Host tools the settings name (bwrapPath, socatPath), used only if they pass the runtime's trust checks. */
  readonly hostTools?: { readonly bwrap?: ToolPath; readonly socat?: ToolPath };
  readonly network: NetworkPolicy;
  readonly env: EnvPolicy;
  readonly ignoreViolations: readonly IgnoreRule[];
  readonly limits: ResourceLimits;
  readonly options: {
    readonly enableWeakerNestedSandbox: Flag;
    readonly allowNestedUserNamespaces: Flag;
    readonly allowPty: Flag;
    readonly allowGitConfig: Flag;
    /** Directory levels searched below each writable root; "unlimited" = bounded only by the time/entry budget. */
    readonly mandatoryDenySearchDepth: { readonly value: number | "unlimited"; readonly origin: Origin };
    /** macOS: allowAppleEvents, when set (absent: refused). */
    readonly allowAppleEvents?: Flag;
  };
}

export interface ToolPath {
  readonly path: string;
  readonly origin: Origin;
}
