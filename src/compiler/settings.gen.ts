// GENERATED from schema/settings.schema.json by scripts/gen.mjs. Do not edit; run `npm run gen`.

/**
 * A host pattern: `example.com` (exactly), `*.example.com` (subdomains only), optionally `:port` (no port = any port), an IPv4 literal, a bracketed IPv6 literal (`[::1]:8080`) or `localhost`. A bare `*` is accepted only in deniedDomains.
 */
export type DomainPattern = string;
/**
 * A path: absolute, `~/…` (home) or relative to the working directory. It is a glob when it contains `* ? [ ]`, unless given as {"path": …, "literal": true}.
 */
export type PathEntry =
  | string
  | {
      /**
       * The path.
       */
      path: string;
      /**
       * true: `* ? [ ]` in the path are ordinary characters, not glob syntax.
       */
      literal?: boolean;
    };
/**
 * Paths that cannot be read (secrets such as ~/.ssh).
 *
 * @maxItems 10000
 */
export type PathList = PathEntry[];
/**
 * Paths that can be read again inside a denyRead region.
 *
 * @maxItems 10000
 */
export type PathList1 = PathEntry[];
/**
 * Paths that can be written. When present, replaces the default (the working directory).
 *
 * @maxItems 10000
 */
export type PathList2 = PathEntry[];
/**
 * Paths that cannot be written even inside allowWrite.
 *
 * @maxItems 10000
 */
export type PathList3 = PathEntry[];
/**
 * Linux: run inside an unprivileged container where a fresh /proc cannot be mounted. Weakens isolation (see `srt explain`).
 */
export type EnableWeakerNestedSandbox = boolean;
/**
 * Linux: let the command create user namespaces (needed by some nested sandboxes such as Chromium). A user namespace can undo mount-based denies.
 */
export type AllowNestedUserNamespaces = boolean;
/**
 * How many directory levels below each writable root are searched for files that are always write-protected. Default: unlimited (within a time budget).
 */
export type MandatoryDenySearchDepth = number;
/**
 * macOS: allow pseudo-terminal allocation. No effect on Linux.
 */
export type AllowPty = boolean;
export type EnvPattern = string;
/**
 * Memory of the whole tree (cgroup); exceeding it gets the command OOM-killed. Without a cgroup: RLIMIT_DATA per process (allocations fail), only with bestEffort.
 */
export type ByteSize = number | string;
/**
 * How long the command may run; srt then kills the whole sandbox (exit 137).
 */
export type Duration = number | string;
/**
 * The largest file any process may write (RLIMIT_FSIZE); a write past it fails and the writer gets SIGXFSZ (exit 153).
 */
export type ByteSize1 = number | string;
/**
 * A permission rule: `WebFetch(domain:example.com)`, `Edit(path)`, `Read(path)`.
 */
export type PermissionRule = string;
/**
 * Tool-cache presets merged into this policy (schema/presets.json): node (npm, yarn, pnpm), python (pip, uv), rust (cargo), go, git (https and ssh). Each adds its registries to allowedDomains and its cache directories to the writable ones (created when a run starts and they are absent); rules it adds have the origin `preset:NAME`.
 *
 * @maxItems 16
 */
export type Presets =
  | []
  | ["node" | "python" | "rust" | "go" | "git"]
  | ["node" | "python" | "rust" | "go" | "git", "node" | "python" | "rust" | "go" | "git"]
  | [
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git"
    ]
  | [
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git"
    ]
  | [
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git"
    ]
  | [
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git"
    ]
  | [
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git"
    ]
  | [
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git"
    ]
  | [
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git"
    ]
  | [
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git"
    ]
  | [
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git"
    ]
  | [
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git"
    ]
  | [
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git"
    ]
  | [
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git"
    ]
  | [
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git"
    ]
  | [
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git",
      "node" | "python" | "rust" | "go" | "git"
    ];
/**
 * Reference-tool key (macOS): allow com.apple.trustd.agent. srt's macOS profile always allows it, so this has no further effect; a warning on every target.
 */
export type EnableWeakerNetworkIsolation = boolean;
/**
 * macOS: allow sending Apple Events and Launch Services open requests (open, osascript). Removes code-execution isolation: a launched application runs outside the sandbox. Warned on Linux (no effect).
 */
export type AllowAppleEvents = boolean;
/**
 * Linux: absolute path of the bubblewrap (bwrap) binary to use instead of srt's own look-up. It must pass the same trust checks (root-owned all the way, not writable by the sandbox).
 */
export type BwrapPath = string;
/**
 * Linux: absolute path of the socat binary to use instead of srt's own look-up. It must pass the same trust checks (root-owned all the way, not writable by the sandbox).
 */
export type SocatPath = string;
/**
 * Reference-tool key: the JVM proxy agent jar. srt points the JVM at its proxies with JAVA_TOOL_OPTIONS properties and needs no agent: accepted with a warning.
 */
export type JavaAgentJarPath = string;

/**
 * srt sandbox settings (~/.srt-settings.json or --settings FILE). Absent keys mean: no network, reads allowed everywhere, writes only in the working directory and a private per-run temp directory. Unknown keys are errors.
 */
export interface SrtSettings {
  /**
   * URL or path of this schema, for editor completion. Ignored by srt.
   */
  $schema?: string;
  /**
   * A note for readers of the policy (srt init writes some). Ignored by srt.
   */
  $comment?: string;
  network?: NetworkSettings;
  filesystem?: FilesystemSettings;
  credentials?: CredentialsSettings;
  ignoreViolations?: IgnoreViolations;
  enableWeakerNestedSandbox?: EnableWeakerNestedSandbox;
  allowNestedUserNamespaces?: AllowNestedUserNamespaces;
  mandatoryDenySearchDepth?: MandatoryDenySearchDepth;
  allowPty?: AllowPty;
  env?: EnvSettings;
  docker?: DockerSettings;
  limits?: LimitsSettings;
  permissions?: LegacyPermissions;
  sandbox?: LegacySandbox;
  extends?: Presets;
  enableWeakerNetworkIsolation?: EnableWeakerNetworkIsolation;
  allowAppleEvents?: AllowAppleEvents;
  git?: GitSettings;
  bwrapPath?: BwrapPath;
  socatPath?: SocatPath;
  javaAgentJarPath?: JavaAgentJarPath;
  ripgrep?: Ripgrep;
  seccomp?: Seccomp;
  windows?: Windows;
}
/**
 * Network access. Nothing is reachable unless allowed; the deny list is checked first.
 */
export interface NetworkSettings {
  /**
   * A note for readers of the policy (srt init writes some). Ignored by srt.
   */
  $comment?: string;
  /**
   * Hosts the sandboxed command may reach through srt's proxies.
   *
   * @maxItems 10000
   */
  allowedDomains?: DomainPattern[];
  /**
   * Hosts that are always refused, even when an allowedDomains entry matches. `*` denies everything.
   *
   * @maxItems 10000
   */
  deniedDomains?: DomainPattern[];
  /**
   * Unix socket paths the command may connect to (macOS: enforced per path; Linux: see allowAllUnixSockets).
   *
   * @maxItems 1000
   */
  allowUnixSockets?: string[];
  /**
   * Allow creating and connecting to any unix socket. Weakens the sandbox: a reachable docker.sock is a full escape.
   */
  allowAllUnixSockets?: boolean;
  /**
   * Allow listening on localhost ports inside the sandbox.
   */
  allowLocalBinding?: boolean;
  /**
   * Use an HTTP proxy you already run on this localhost port instead of srt's own.
   */
  httpProxyPort?: number;
  /**
   * Use a SOCKS5 proxy you already run on this localhost port instead of srt's own.
   */
  socksProxyPort?: number;
  /**
   * An upstream HTTP proxy srt's proxies reach allowed hosts through (srt decides first). Absent: srt's own HTTP_PROXY / HTTPS_PROXY / NO_PROXY.
   */
  parentProxy?: {
    /**
     * Proxy URL (http:// or https://, user:password@ for Proxy-Authorization) for plain-HTTP requests.
     */
    http?: string;
    /**
     * Proxy URL for CONNECT tunnels and SOCKS connections (default: the http one).
     */
    https?: string;
    /**
     * Comma-separated hosts (suffix match), IP addresses or CIDR ranges dialled directly; `*` for all. Loopback is always direct.
     */
    noProxy?: string;
  };
  /**
   * Send requests for some domains through a man-in-the-middle proxy listening on a unix socket.
   */
  mitmProxy?: {
    /**
     * Unix socket of the MITM proxy.
     */
    socketPath: string;
    /**
     * Domains routed through the MITM proxy (they must also be allowed).
     */
    domains: DomainPattern[];
  };
  /**
   * IP addresses or CIDR ranges an allowed name must not resolve to (loopback, link-local and cloud metadata are always refused unless allowed by IP).
   *
   * @maxItems 1000
   */
  deniedResolvedAddresses?: string[];
  tlsTerminate?: TlsTerminate;
  /**
   * A reason for a deniedDomains entry (keyed by the entry exactly as written), shown in the proxy's 403, the SOCKS refusal and the violation.
   */
  deniedDomainReasons?: {
    [k: string]: string;
  };
  /**
   * true: hosts not in allowedDomains are refused without asking a library ask callback. srt's allow list is strict for the CLI either way.
   */
  strictAllowlist?: boolean;
  /**
   * Refuse every tunnel the proxy cannot see into: an HTTP CONNECT that is not TLS-terminated (no tlsTerminate, an excluded host) or whose first bytes are not TLS, and every SOCKS connection. Without tlsTerminate this leaves no HTTPS at all. Refusals are violations.
   */
  refuseOpaqueTunnels?: boolean;
  /**
   * Answer 421 to a request whose Host header (or the authority of an absolute-form target, or the TLS server name of a terminated tunnel) does not name the host and port it is sent to. Refusals are violations.
   */
  requireHostMatch?: boolean;
  /**
   * Response headers never passed back to the command: names matched case-insensitively, with -, _ and . read as one character (e.g. set-cookie).
   *
   * @maxItems 1000
   */
  stripResponseHeaders?: string[];
  /**
   * Let a library filterRequest decision set headers on plain-HTTP requests (they travel in cleartext). Off: such a request is refused with 403 and nothing is sent.
   */
  allowPlaintextHeaderSet?: boolean;
  /**
   * A request target whose normalized form (dot segments and %2e resolved, \ read as /, leading slashes collapsed) names another path than as spelled: "refuse" (400, a violation), "asSpelled" (forwarded as written) or "normalize" (forwarded normalized). Applies when set, and always (default refuse) while a library filterRequest judges requests.
   */
  ambiguousRequestTarget?: "refuse" | "asSpelled" | "normalize";
  /**
   * macOS: extra Mach services the command may look up (`com.example.svc`, or a prefix ending in `*`). Warned on Linux (no effect).
   *
   * @maxItems 1000
   */
  allowMachLookup?: string[];
}
/**
 * Terminate HTTPS CONNECTs to allowed hosts inside srt's proxy, with a per-run CA (or the one given), so that requests can be seen and masked credentials injected. The command is pointed at a trust bundle holding that CA and the system's roots.
 */
export interface TlsTerminate {
  /**
   * A note for readers of the policy (srt init writes some). Ignored by srt.
   */
  $comment?: string;
  /**
   * PEM certificate of the CA that signs the per-host certificates (with caKeyPath; both or neither). Default: a new CA for each run, its key only in srt's memory.
   */
  caCertPath?: string;
  /**
   * PEM private key of caCertPath. srt reads it; the sandbox cannot (it joins the read denies).
   */
  caKeyPath?: string;
  /**
   * Hosts that are not terminated: tunnelled opaquely (still subject to the allow list), so the command's own TLS reaches the real server (certificate pinning, mutual TLS).
   *
   * @maxItems 10000
   */
  excludeDomains?: DomainPattern[];
  /**
   * PEM CA files added to the trust bundle and to the roots srt verifies upstream servers with. Only CERTIFICATE blocks are used; a missing or unreadable file is skipped.
   *
   * @maxItems 100
   */
  extraCaCertPaths?: string[];
  /**
   * At most this many tunnels are terminated at once (default 256); past it a CONNECT gets 503.
   */
  maxTunnels?: number;
  /**
   * A terminated tunnel must finish its TLS handshake within this many milliseconds of its CONNECT (default 10000).
   */
  handshakeTimeoutMs?: number;
}
/**
 * File-system access. Reads are allowed everywhere except denyRead; writes only in allowWrite (default: the working directory) and a private temp dir.
 */
export interface FilesystemSettings {
  /**
   * A note for readers of the policy (srt init writes some). Ignored by srt.
   */
  $comment?: string;
  denyRead?: PathList;
  allowRead?: PathList1;
  allowWrite?: PathList2;
  denyWrite?: PathList3;
  /**
   * Allow writing .git/config (mandatory-denied by default: it can run commands via core.fsmonitor and others).
   */
  allowGitConfig?: boolean;
  /**
   * true: no file-system rules at all: every path readable and writable, no mandatory write protections (srt's own state directory stays hidden). Network rules still apply. `srt explain` says so loudly.
   */
  disabled?: boolean;
}
/**
 * Secrets the command must not read: denied, or masked by a sentinel that srt's proxy swaps for the real value on the way to the hosts that need it.
 */
export interface CredentialsSettings {
  /**
   * A note for readers of the policy (srt init writes some). Ignored by srt.
   */
  $comment?: string;
  /**
   * @maxItems 1000
   */
  files?: CredentialFile[];
  /**
   * @maxItems 1000
   */
  envVars?: CredentialEnvVar[];
  /**
   * Allow a masked value to be injected into plain-HTTP requests (default false: only over TLS that srt terminated and verified upstream).
   */
  allowPlaintextInject?: boolean;
  /**
   * AWS key pairs to re-sign (SigV4) with the real secret: each names the credentials.envVars entries (mode mask, whole value) that hold the access key id, the secret access key and optionally the session token. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN are paired without an entry when they are masked whole-value and no entry names them. A request signed with the pair's sentinel key id is re-signed by srt's proxy only towards the access key id's injectHosts, over terminated TLS.
   *
   * @maxItems 100
   */
  awsPairs?: {
    accessKeyIdVar: string;
    secretAccessKeyVar: string;
    sessionTokenVar?: string;
  }[];
  /**
   * What srt's proxy does with a request signed with a masked AWS pair that it cannot re-sign: streaming (aws-chunked) payloads, presigned URLs (query signature), SigV4a. "deny" (default) refuses it with 403 and a violation; "passthrough" forwards it unsigned-again (the upstream will reject the signature).
   */
  sigv4?: {
    streaming?: "deny" | "passthrough";
    presigned?: "deny" | "passthrough";
    sigv4a?: "deny" | "passthrough";
  };
}
/**
 * A file that holds a secret.
 */
export interface CredentialFile {
  /**
   * A note for readers of the policy (srt init writes some). Ignored by srt.
   */
  $comment?: string;
  /**
   * The file (`~` and relative paths as for filesystem entries; no patterns).
   */
  path: string;
  /**
   * deny: the sandbox cannot read the value; mask: it sees a per-run sentinel, which srt's proxy replaces with the real value in requests to injectHosts.
   */
  mode: "deny" | "mask";
  /**
   * A regular expression (JavaScript syntax): only capture group 1 of each match is masked, the rest is kept as is.
   */
  extract?: string;
  /**
   * When extract finds nothing: warn (the real value is left as is, with a warning), deny (withheld; srt's default) or error (the run fails).
   */
  onExtractNoMatch?: "warn" | "deny" | "error";
  /**
   * Hosts the real value may be sent to (default: network.allowedDomains). Sent anywhere else, the sentinel is refused and reported.
   *
   * @maxItems 1000
   */
  injectHosts?: DomainPattern[];
  /**
   * Mask inside JSON Web Tokens: each candidate (group 1 of extract; for a variable without extract its whole value; for a file without extract every `eyJ…` token) must parse as a JWT. Without maskClaims the whole token becomes a fake that parses; with it, only those claims are masked.
   */
  decode?: "jwt";
  /**
   * Top-level claims (string values) masked inside each decoded token; the others stay real. Needs decode.
   *
   * @minItems 1
   * @maxItems 100
   */
  maskClaims?: [string, ...string[]];
  /**
   * Also mask every verbatim copy of a masked value elsewhere in the file (a token pasted into a comment). Needs extract or decode.
   */
  maskDuplicates?: boolean;
}
/**
 * An environment variable that holds a secret.
 */
export interface CredentialEnvVar {
  /**
   * A note for readers of the policy (srt init writes some). Ignored by srt.
   */
  $comment?: string;
  /**
   * The variable's name.
   */
  name: string;
  /**
   * deny: the sandbox cannot read the value; mask: it sees a per-run sentinel, which srt's proxy replaces with the real value in requests to injectHosts.
   */
  mode: "deny" | "mask";
  /**
   * A regular expression (JavaScript syntax): only capture group 1 of each match is masked, the rest is kept as is.
   */
  extract?: string;
  /**
   * When extract finds nothing: warn (the real value is left as is, with a warning), deny (withheld; srt's default) or error (the run fails).
   */
  onExtractNoMatch?: "warn" | "deny" | "error";
  /**
   * Hosts the real value may be sent to (default: network.allowedDomains). Sent anywhere else, the sentinel is refused and reported.
   *
   * @maxItems 1000
   */
  injectHosts?: DomainPattern[];
  /**
   * Mask inside JSON Web Tokens: each candidate (group 1 of extract; for a variable without extract its whole value; for a file without extract every `eyJ…` token) must parse as a JWT. Without maskClaims the whole token becomes a fake that parses; with it, only those claims are masked.
   */
  decode?: "jwt";
  /**
   * Top-level claims (string values) masked inside each decoded token; the others stay real. Needs decode.
   *
   * @minItems 1
   * @maxItems 100
   */
  maskClaims?: [string, ...string[]];
}
/**
 * Violations not to report: command pattern (`*` for all) → violation patterns.
 */
export interface IgnoreViolations {
  [k: string]: string[];
}
/**
 * Which environment variables the sandboxed command receives.
 */
export interface EnvSettings {
  /**
   * A note for readers of the policy (srt init writes some). Ignored by srt.
   */
  $comment?: string;
  /**
   * all: the whole environment (default); core: PATH, HOME, USER, LANG, TERM and similar; none: nothing but what allow adds.
   */
  inherit?: "all" | "core" | "none";
  /**
   * Variable names (`*` wildcard) passed in addition to inherit.
   */
  allow?: EnvPattern[];
  /**
   * Variable names (`*` wildcard) never passed; wins over inherit and allow.
   */
  deny?: EnvPattern[];
}
/**
 * Container options (accepted for compatibility; not used by the Linux or macOS backends yet).
 */
export interface DockerSettings {
  image?: string;
  name?: string;
  workdir?: string;
  env?: {
    [k: string]: string;
  };
  volumes?: string[];
  networkMode?: string;
  autoRemove?: boolean;
  user?: string;
  cpuLimit?: number;
  /**
   * Bytes as a number (the Rust port's README: `536870912`), or docker's `"512m"`.
   */
  memoryLimit?: number | string;
}
/**
 * Resource limits for the sandboxed command and everything it starts. Linux (bwrap): a per-run cgroup when srt may create one (root, or a cgroup delegated to the user), else per-process rlimits; `srt explain` and `srt doctor` say which hold here. A run whose limit cannot be enforced fails unless bestEffort is true.
 */
export interface LimitsSettings {
  /**
   * A note for readers of the policy (srt init writes some). Ignored by srt.
   */
  $comment?: string;
  memory?: ByteSize;
  /**
   * Processes and threads in the whole tree at once, srt's own sandbox processes (2) included; a fork beyond it fails. Needs a cgroup (RLIMIT_NPROC counts every process of the user, not of the run).
   */
  pids?: number;
  /**
   * CPU time per wall time, in cores (0.5 = half of one CPU); the tree is throttled, not killed. Needs a cgroup.
   */
  cpu?: number;
  wallTime?: Duration;
  fileSize?: ByteSize1;
  /**
   * Open file descriptors per process (RLIMIT_NOFILE); it can only be lowered below what srt itself may open.
   */
  openFiles?: number;
  /**
   * true: a limit this host cannot enforce is skipped with a warning (or enforced per process instead of for the tree) rather than failing the run.
   */
  bestEffort?: boolean;
}
/**
 * Older permission-rule dialect. Cannot be mixed with top-level network/filesystem keys.
 */
export interface LegacyPermissions {
  allow?: PermissionRule[];
  deny?: PermissionRule[];
}
/**
 * Older dialect: sandbox options next to `permissions`.
 */
export interface LegacySandbox {
  /**
   * Must be true or absent: srt always sandboxes.
   */
  enabled?: boolean;
  network?: NetworkSettings;
  filesystem?: FilesystemSettings;
  ignoreViolations?: IgnoreViolations;
  enableWeakerNestedSandbox?: EnableWeakerNestedSandbox;
  allowNestedUserNamespaces?: AllowNestedUserNamespaces;
  mandatoryDenySearchDepth?: MandatoryDenySearchDepth;
  allowPty?: AllowPty;
  env?: EnvSettings;
}
/**
 * Git configuration injected through GIT_CONFIG_* variables.
 */
export interface GitSettings {
  /**
   * Directories git treats as safe.directory inside the sandbox (each also covers repositories below it). Grants no write access.
   *
   * @maxItems 1000
   */
  safeDirectories?: string[];
}
/**
 * Reference-tool key: how to run ripgrep for its deny-path scan. srt searches without ripgrep: accepted with a warning.
 */
export interface Ripgrep {
  command: string;
  args?: string[];
  argv0?: string;
}
/**
 * Reference-tool key: where its apply-seccomp helper is. srt builds its own seccomp program and hands it to bwrap: accepted with a warning.
 */
export interface Seccomp {
  applyPath?: string;
  argv0?: string;
}
/**
 * Reference-tool key: Windows settings. srt has no Windows backend: accepted with a warning.
 */
export interface Windows {
  backend?: "mxc" | "srt-win";
  sandboxUser?: string;
  sublayerGuid?: string;
  wfpSublayerGuid?: string;
  /**
   * @minItems 2
   * @maxItems 2
   */
  proxyPortRange?: [number, number];
  srtWin?: {
    path: string;
  };
}
