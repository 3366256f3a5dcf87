// GENERATED from schema/settings.schema.json by scripts/gen.mjs. Do not edit; run `npm run gen`.

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
 * A permission rule: `WebFetch(domain:example.com)`, `Edit(path)`, `Read(path)`.
 */
export type PermissionRule = string;
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
  extends?: Presets;
  network?: NetworkSettings;
  filesystem?: FilesystemSettings;
  ignoreViolations?: IgnoreViolations;
  enableWeakerNestedSandbox?: EnableWeakerNestedSandbox;
  allowNestedUserNamespaces?: AllowNestedUserNamespaces;
  mandatoryDenySearchDepth?: MandatoryDenySearchDepth;
  allowPty?: AllowPty;
  env?: EnvSettings;
  docker?: DockerSettings;
  permissions?: LegacyPermissions;
  sandbox?: LegacySandbox;
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
   * macOS: extra Mach services the command may look up (`com.example.svc`, or a prefix ending in `*`). Warned on Linux (no effect).
   *
   * @maxItems 1000
   */
  allowMachLookup?: string[];
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
  memoryLimit?: string;
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
