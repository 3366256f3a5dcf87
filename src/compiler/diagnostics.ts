/**
 * Diagnostics are values, never exceptions: every stage returns the ones it
 * found. Codes are stable (users grep for them, `--json` consumers switch on
 * them) and all live in this one catalog, with their wording: a call site
 * passes the facts (typed per code), the catalog says them, so one code never
 * reads two ways and a code is never chosen by testing a message's text.
 */
import { compareStrings } from "./compare.js";

export type Severity = "error" | "warning";

interface Entry<A> {
  readonly severity: Severity;
  readonly title: string;
  readonly message: (args: A) => string;
  /** What to do about it, when the code (or the variant named by its arguments) has one fixed answer. */
  readonly hint?: (args: A) => string | undefined;
}

const entry = <A>(
  severity: Severity,
  title: string,
  message: (args: A) => string,
  hint?: string | ((args: A) => string | undefined),
): Entry<A> =>
  // Two literals rather than a spread: every srt start builds the whole catalog, and in V8's interpreter
  // (a start-up runs little else) the spread made that 1.5 ms; the literals take 0.2 ms (issue 19).
  hint === undefined
    ? { severity, title, message }
    : { severity, title, message, hint: typeof hint === "string" ? () => hint : hint };

/** For the codes whose message has nothing to fill in. */
export type NoArgs = Record<string, never>;

const mib = (bytes: number): string => (bytes / 1048576).toFixed(1);
const where = (pointer: string): string => (pointer === "" ? "settings" : `"${pointer}"`);
/** An earlier sandboxed run of this user can lock a directory (chmod 000); only the user can undo it. */
const lockedHint = (dir: string): string =>
  `an earlier run may have locked it; restore its permissions outside the sandbox (chmod u+rwx ${dir}) to use what is inside`;
/** What to do about a directory a walk could not inspect; srt never skips it (what is inside stays unknown). */
const unlistable = "srt does not skip what it cannot see; fix the permissions, or make a smaller directory writable";
/** A parser's own explanation of a rejected value, with its advice when it has one. */
interface Reason {
  readonly reason: string;
  readonly hint?: string | undefined;
}
const weakening = {
  enableWeakerNestedSandbox: "/proc is the host's, so processes outside the sandbox are visible",
  allowNestedUserNamespaces: "a nested user namespace can remount and undo file-system denies",
  allowAllUnixSockets: "any reachable socket (docker.sock, ssh-agent, D-Bus) can act outside the sandbox",
} as const;

export const catalog = {
  SRT100: entry(
    "error",
    "settings file cannot be read",
    (
      a:
        | { readonly kind: "no-name" | "empty-env" }
        | { readonly kind: "directory" | "missing" | "not-utf8"; readonly file: string }
        | { readonly kind: "unreadable"; readonly file: string; readonly reason: string },
    ) => {
      switch (a.kind) {
        case "no-name":
          return "--settings needs a file name";
        case "empty-env":
          return "SRT_SETTINGS is set but empty: name a settings file, or unset it for ~/.srt-settings.json";
        case "directory":
          return `${a.file} is a directory, not a settings file`;
        case "missing":
          return `settings file ${a.file} does not exist`;
        case "not-utf8":
          return `${a.file} is not valid UTF-8`;
        case "unreadable":
          return `cannot read ${a.file}: ${a.reason}`;
      }
    },
  ),
  SRT101: entry(
    "error",
    "settings file is empty",
    (_: NoArgs) => "settings file is empty",
    "write `{}` for the defaults",
  ),
  SRT102: entry(
    "error",
    "settings file is too large",
    // Read whole (its size known) or stopped at the limit (a pipe, size unknown).
    (a: { readonly file?: string; readonly bytes?: number }) =>
      a.bytes === undefined
        ? `${a.file ?? "settings file"} is larger than the 1 MiB limit`
        : `${a.file ?? "settings file"} is ${mib(a.bytes)} MiB; the limit is 1 MiB`,
    "a policy lists paths and domains, not data; check that the right file was given",
  ),
  SRT103: entry(
    "error",
    "malformed JSON",
    (a: { readonly kind: "syntax"; readonly detail: string } | { readonly kind: "duplicate"; readonly key: string }) =>
      a.kind === "syntax" ? `malformed JSON: ${a.detail}` : `duplicate key ${JSON.stringify(a.key)}`,
    (a) =>
      a.kind === "duplicate" ? "JSON keeps only the last one; remove the other so the file says one thing" : undefined,
  ),
  SRT104: entry(
    "error",
    "JSON nested too deeply",
    (a: { readonly depth: number }) => `JSON is nested more than ${a.depth} levels deep`,
  ),
  SRT110: entry(
    "error",
    "unknown key",
    (a: { readonly key: string; readonly suggestion?: string | undefined }) => `unknown key "${a.key}"`,
    (a) => a.suggestion,
  ),
  SRT111: entry(
    "error",
    "key of the reference tool that srt does not support",
    (a: { readonly key: string; readonly why: string }) =>
      `"${a.key}" is a setting of the reference tool that srt does not support: ${a.why}`,
    "remove it; srt refuses settings it would not enforce",
  ),
  SRT112: entry(
    "error",
    "value does not match the schema",
    (
      a:
        | { readonly kind: "type"; readonly pointer: string; readonly expected: string; readonly actual: string }
        | { readonly kind: "enum"; readonly pointer: string; readonly allowed: readonly unknown[] }
        | { readonly kind: "env-name"; readonly pointer: string }
        | { readonly kind: "other"; readonly pointer: string; readonly detail: string },
    ) => {
      switch (a.kind) {
        case "type":
          return `${where(a.pointer)} must be ${a.expected}, not ${a.actual}`;
        case "enum":
          return `${where(a.pointer)} must be one of ${a.allowed.map((v) => JSON.stringify(v)).join(", ")}`;
        case "env-name":
          return `${where(a.pointer)} is not an environment variable name (letters, digits, _ and * only)`;
        case "other":
          return `${where(a.pointer)} ${a.detail}`;
      }
    },
  ),
  SRT113: entry(
    "error",
    "both settings dialects in one file",
    (a: { readonly key: string }) =>
      `"${a.key}" is a key of the srt dialect, but this file also uses "permissions"/"sandbox"`,
    // In that dialect's settings files a top-level "env" *sets* variables; srt's env is a pass-through policy.
    (a) =>
      a.key === "env"
        ? 'a top-level "env" that sets variables is not a sandbox setting; srt\'s env policy (inherit/allow/deny) goes under "sandbox"'
        : `move it under "sandbox", or write the whole file in one dialect`,
  ),
  SRT120: entry(
    "error",
    "invalid permission rule",
    (
      a:
        | { readonly kind: "syntax"; readonly rule: string }
        | { readonly kind: "webfetch"; readonly arg: string }
        | { readonly kind: "no-path"; readonly tool: "Edit" | "Write" | "Read" }
        | { readonly kind: "bare"; readonly tool: string; readonly effect: "allow" | "deny" },
    ) => {
      switch (a.kind) {
        case "syntax":
          return `"${a.rule}" is not a permission rule`;
        case "webfetch":
          return `WebFetch rule needs "domain:HOST", got "${a.arg}"`;
        case "no-path":
          return `${a.tool} rule needs a path`;
        case "bare":
          return `a bare ${a.tool} rule would ${a.effect} every ${a.tool === "WebFetch" ? "host" : "path"}; srt needs them listed`;
      }
    },
    (a) => {
      if (a.kind === "syntax") return 'write e.g. "WebFetch(domain:example.com)", "Edit(src/**)" or "Read(~/.ssh)"';
      if (a.kind === "bare")
        return a.tool === "WebFetch" ? 'write "WebFetch(domain:example.com)"' : `write "${a.tool}(path)"`;
      return undefined;
    },
  ),
  SRT121: entry(
    "warning",
    "permission rule without sandbox meaning",
    (a: { readonly tool: string; readonly bare: boolean }) =>
      `${a.tool}${a.bare ? "" : "(…)"} is a tool permission, not a sandbox rule; srt does not enforce it`,
  ),
  SRT122: entry(
    "error",
    "sandbox cannot be disabled",
    (_: NoArgs) => "sandbox.enabled is false, but srt always runs commands sandboxed",
    "remove the key (or set it to true)",
  ),
  SRT130: entry(
    "warning",
    "key of another tool has no effect on this target",
    (a: { readonly key: string; readonly since: string; readonly target: string; readonly targets: string }) =>
      `${a.key} (a sandbox-runtime ${a.since} key) has no effect on ${a.target}; it applies on ${a.targets}`,
  ),
  SRT131: entry(
    "warning",
    "key of another tool that srt does not need",
    (a: { readonly key: string; readonly since: string; readonly why: string }) =>
      `${a.key} (a sandbox-runtime ${a.since} key) is accepted and not used: ${a.why}`,
    "remove it when the file no longer needs to work with the reference tool",
  ),
  SRT132: entry(
    "warning",
    "a denial reason names no deniedDomains entry",
    (a: { readonly entry: string }) =>
      `deniedDomainReasons has a reason for "${a.entry}", which is not a deniedDomains entry, so it is never shown`,
    "the key must be a deniedDomains entry exactly as written (same case, same :port)",
  ),
  SRT133: entry(
    "error",
    "host tool path is not absolute",
    (a: { readonly key: string; readonly path: string }) => `${a.key} must be an absolute path, not "${a.path}"`,
    "srt never looks host tools up on PATH; name the binary by its absolute path",
  ),
  SRT134: entry(
    "warning",
    "setting of another tool weakens the sandbox",
    (a: { readonly kind: "filesystem-disabled" | "apple-events" }) =>
      a.kind === "filesystem-disabled"
        ? "filesystem.disabled: no file-system rules: the command can read and write every file the user can, including shell start-up files, git hooks and SSH keys; only / itself and the system program directories stay read-only (srt runs its host programs from there), with srt's hidden state directory and the network rules"
        : "allowAppleEvents: the command can launch other applications (open, osascript), which run outside the sandbox",
  ),
  // SRT135 (a port's key srt did not read yet) is retired: issue 14 translates those keys (SRT136).
  SRT136: entry(
    "warning",
    "key of a port's own dialect, translated",
    (a: { readonly key: string; readonly tool: string; readonly into: string }) =>
      `${a.key} is ${a.tool}'s own key (this file uses that port's dialect); srt reads it as ${a.into}`,
    "srt explain shows each translated rule with the port's key as its origin",
  ),
  SRT137: entry(
    "error",
    "a port's key and srt's key for the same thing",
    (a: { readonly key: string; readonly tool: string; readonly srtKey: string }) =>
      `${a.key} (${a.tool}'s own key) and ${a.srtKey} say the same thing in one file; srt will not guess which one is meant`,
    "keep one of them: write the whole file in srt's keys, or in the port's",
  ),
  SRT138: entry(
    "error",
    "a port's blocked path that is not absolute",
    (a: { readonly path: string; readonly tool: string }) =>
      `blocked_paths entry "${a.path}" is not absolute: ${a.tool} matched it against every absolute path, srt would read it below the working directory only, which blocks less`,
    "write it as an absolute path or a glob below a directory (/home/u/**/secret)",
  ),
  SRT200: entry(
    "error",
    "invalid domain pattern",
    (a: { readonly value: string } & Reason) => `"${a.value}": ${a.reason}`,
    (a) => a.hint,
  ),
  SRT201: entry(
    "error",
    "invalid IP address or CIDR range",
    (a: { readonly value: string; readonly reason: string }) => `"${a.value}": ${a.reason}`,
  ),
  SRT202: entry(
    "error",
    "invalid path",
    (a: Reason) => a.reason,
    (a) => a.hint,
  ),
  SRT203: entry(
    "error",
    "invalid glob",
    (a: Reason) => a.reason,
    (a) => a.hint,
  ),
  SRT204: entry(
    "warning",
    "mitm domain is not allowed",
    (a: { readonly source: string }) =>
      `"${a.source}" is routed through the MITM proxy but not in allowedDomains, so it stays unreachable`,
  ),
  SRT300: entry(
    "error",
    "path cannot be inspected",
    (
      a:
        | { readonly kind: "rule" | "protected"; readonly at: string; readonly code: string; readonly spelled: string }
        | { readonly kind: "glob"; readonly at: string; readonly code: string; readonly pattern: string }
        | { readonly kind: "mandatory"; readonly at: string; readonly code: string },
    ) => {
      switch (a.kind) {
        case "rule":
          return `cannot inspect ${a.at} (${a.code}) while resolving ${a.spelled}`;
        case "protected":
          return `cannot inspect ${a.at} (${a.code}) while resolving ${a.spelled}, which must stay write-protected`;
        case "glob":
          return `cannot list ${a.at} (${a.code}) while expanding ${a.pattern}`;
        case "mandatory":
          return `cannot list ${a.at} (${a.code}) while searching for files that must stay write-protected`;
      }
    },
    (a) =>
      a.kind === "rule"
        ? "srt will not guess what a rule covers; fix the path or its permissions"
        : a.kind === "protected"
          ? undefined
          : unlistable,
  ),
  SRT301: entry(
    "error",
    "glob expansion exceeded its budget",
    (a: { readonly detail: string }) => a.detail,
    "narrow the glob (a deeper base directory) or list the paths",
  ),
  SRT302: entry(
    "error",
    "mandatory-deny search exceeded its budget",
    (a: { readonly detail: string }) => a.detail,
    "set mandatoryDenySearchDepth, or make a smaller directory writable",
  ),
  SRT303: entry(
    "warning",
    "glob matches nothing",
    (a: { readonly pattern: string }) =>
      `${a.pattern} matches nothing now; on Linux a file created later is not covered`,
  ),
  SRT304: entry(
    "warning",
    "writable path does not exist",
    (a: { readonly path: string }) => `${a.path} does not exist, so there is nothing to make writable`,
  ),
  SRT305: entry(
    "warning",
    "policy hands the sandbox a powerful resource",
    (a: { readonly path: string }) => `${a.path} is a container engine socket: access to it is a full escape`,
  ),
  SRT306: entry(
    "error",
    "writable path leads out of the writable area through a symlink",
    (a: { readonly spelled: string; readonly link: string; readonly real: string; readonly why: string }) =>
      `${a.spelled} ${a.link === a.spelled ? "is a symlink" : `leads through the symlink ${a.link}`} to ${a.real}, outside everything this policy makes writable; ${a.why}, so a sandboxed command could have made that link`,
    (a) =>
      `if ${a.real} should be writable, name it in allowWrite; otherwise replace the link ${a.link} by a directory`,
  ),
  SRT307: entry(
    "error",
    "a protected path is a symlink this target cannot protect",
    (a: { readonly path: string }) =>
      `${a.path} must stay write-protected, but it is a symlink in a writable directory: on Linux a read-only mount lands on its target, and the link itself could be replaced`,
    "replace the link by the file it points to, or do not make its directory writable",
  ),
  SRT308: entry(
    "error",
    "writable path is inside srt's state directory",
    (a: { readonly path: string; readonly stateDir: string }) =>
      `${a.path} ${a.path === a.stateDir ? "is srt's state directory" : `lies inside srt's state directory ${a.stateDir}`}, where srt keeps every run's private files and its placeholder registry; no sandbox may write there`,
    "make a directory outside it writable (each run already gets a private writable $TMPDIR); a parent such as the temp directory itself may be writable",
  ),
  SRT310: entry(
    "warning",
    "a directory that cannot be listed is protected whole",
    (
      a:
        | { readonly kind: "glob"; readonly dir: string; readonly pattern: string; readonly access: "read" | "write" }
        | { readonly kind: "mandatory"; readonly dir: string },
    ) =>
      a.kind === "glob"
        ? `${a.dir} cannot be listed while expanding ${a.pattern}, so what it holds is unknown: it is ${a.access === "read" ? "unreadable" : "write-protected"} whole`
        : `${a.dir} cannot be listed, so what it holds is unknown: it stays read-only, whole, for this run`,
    (a) => lockedHint(a.dir),
  ),
  SRT311: entry(
    "warning",
    "an allow glob matches nothing in a directory that cannot be listed",
    (a: { readonly dir: string; readonly pattern: string }) =>
      `${a.dir} cannot be listed while expanding ${a.pattern}: the glob matches nothing in it`,
    (a) => lockedHint(a.dir),
  ),
  SRT315: entry(
    "error",
    "settings file reached through a symlink in a writable directory",
    (a: { readonly file: string; readonly link: string; readonly dir: string }) =>
      `the settings file ${a.file} is reached through the symlink ${a.link}, which lies in the writable directory ${a.dir}: a sandboxed command could point it at another policy, and the next run would use that`,
    "name the file the link points to, or keep the link out of writable directories",
  ),
  SRT316: entry(
    "error",
    "a file srt writes for the run is named through a symlink in a writable directory",
    (a: {
      readonly path: string;
      readonly rule: "plan-file" | "violations-file";
      readonly link: string;
      readonly dir: string;
    }) =>
      `${a.path} (the ${a.rule === "plan-file" ? "plan srt writes" : "--violations file"}) is reached through the symlink ${a.link}, which lies in the writable directory ${a.dir}: the command could re-point it`,
    "name a path without that link, or one outside the writable directories",
  ),
  SRT317: entry(
    "warning",
    "srt's package is reached through a symlink in a writable directory",
    (a: { readonly entry: string; readonly dir: string }) =>
      `srt's package is reached through the symlink ${a.entry} in the writable directory ${a.dir}: the command could re-point it, and the next launch of srt through it would run something else`,
    "install srt outside the project (npm i -g, or a hoisted node_modules that is not writable), or leave node_modules out of allowWrite",
  ),
  SRT320: entry(
    "error",
    "the home directory would be writable by default",
    (a: { readonly path: string; readonly origin: string; readonly home: string }) =>
      `${a.path} would be writable by default (${a.origin}), and it ${a.path === a.home ? "is" : "holds"} the home directory ${a.home}: shell start-up files, SSH keys and tool config would all be in reach of the command`,
    (a) =>
      `run srt from a project directory, or name ${a.path === a.home ? "it" : "the directory"} in filesystem.allowWrite if the command really may write all of it`,
  ),
  SRT321: entry(
    "error",
    "git config cannot be read as git would",
    (a: { readonly at: string; readonly detail: string }) =>
      `cannot read ${a.at} as git would (${a.detail}), so srt cannot tell where git takes hooks and config from`,
    "fix or remove that file (git itself refuses a config it cannot parse)",
  ),
  SRT400: entry(
    "warning",
    "key has no effect on this target",
    (
      a:
        | { readonly kind: "allowPty" | "allowLocalBinding" | "docker" }
        | { readonly kind: "linux-only"; readonly key: string },
    ) => {
      switch (a.kind) {
        case "allowPty":
          return "allowPty has no effect on Linux (pseudo-terminals are always available there)";
        case "allowLocalBinding":
          return "allowLocalBinding has no effect on Linux: the sandbox has its own network namespace, where listening on loopback is always possible and unreachable from the host";
        case "docker":
          return "docker settings take effect only when the command runs under Docker (srt --runtime docker, or a --docker-* option); bwrap, runc and macOS runs ignore them, except cpuLimit and memoryLimit, which are resource limits on every backend";
        case "linux-only":
          return `${a.key} is a Linux option and has no effect on macOS`;
      }
    },
  ),
  SRT401: entry(
    "warning",
    "option weakens the sandbox",
    (a: { readonly key: keyof typeof weakening }) => `${a.key}: ${weakening[a.key]}`,
  ),
  SRT410: entry(
    "error",
    "parentProxy URL is not usable",
    (a: { readonly source: string; readonly reason: string }) => `${a.source}: ${a.reason}`,
    "write http://host:port or https://host:port, with user:password@ before the host for Proxy-Authorization",
  ),
  SRT411: entry(
    "warning",
    "proxy variable in srt's environment ignored",
    (a: { readonly source: string; readonly reason: string }) =>
      `${a.source.replace(/^env:/, "")} is not a usable proxy URL (${a.reason}); allowed hosts are dialled directly`,
    "set network.parentProxy in the settings, or fix the variable",
  ),
  SRT412: entry(
    "warning",
    "refuseOpaqueTunnels without tlsTerminate refuses all HTTPS",
    () =>
      "every CONNECT is an opaque tunnel without network.tlsTerminate, so every HTTPS request (and SOCKS) is refused",
    "add network.tlsTerminate, or drop refuseOpaqueTunnels if HTTPS must work",
  ),
  SRT430: entry(
    "error",
    "tlsTerminate names half of a CA",
    (a: { readonly missing: "caCertPath" | "caKeyPath" }) =>
      `tlsTerminate names a CA ${a.missing === "caKeyPath" ? "certificate without its key" : "key without its certificate"} (${a.missing} is missing)`,
    "give both caCertPath and caKeyPath, or neither for a new CA each run",
  ),
  SRT431: entry(
    "error",
    "a masked credential would be injected without TLS termination",
    (_: NoArgs) =>
      "a masked credential is swapped back only inside requests srt can read: that needs network.tlsTerminate (or credentials.allowPlaintextInject, which lets the real value travel over plain HTTP)",
    'add "tlsTerminate": {} to network, or use mode "deny"',
  ),
  SRT433: entry(
    "warning",
    "a masked credential file is withheld on macOS",
    (a: { readonly path: string }) =>
      `the masked copy of ${a.path} cannot be put in the file's place on macOS (Seatbelt has no bind mounts): the command cannot read the file at all there, and its secret is never injected`,
    'mask the secret as an environment variable (credentials.envVars), or give the file mode "deny"',
  ),
  SRT434: entry(
    "error",
    "a credential option needs another",
    (a: { readonly key: "maskClaims" | "maskDuplicates"; readonly needs: string }) =>
      `${a.key} has nothing to work on without ${a.needs}`,
    (a) => (a.key === "maskClaims" ? 'add "decode": "jwt"' : 'add "extract" (or "decode": "jwt"), or remove it'),
  ),
  SRT432: entry(
    "error",
    "a credential's extract pattern cannot be used",
    (a: { readonly pattern: string; readonly problem: string }) =>
      `extract ${JSON.stringify(a.pattern)} cannot be used: ${a.problem}`,
    'write a JavaScript regular expression whose group 1 is the secret, e.g. "token":\\s*"([^"]+)"',
  ),
  SRT445: entry(
    "error",
    "an AWS key pair names a variable that is not masked whole",
    (a: { readonly name: string; readonly why: string }) =>
      `the AWS pair names $${a.name}, which ${a.why}: srt re-signs only with a pair whose parts the command sees as whole sentinels`,
    'add it to credentials.envVars with "mode": "mask" and no extract or decode',
  ),
  SRT446: entry(
    "warning",
    "an AWS secret is masked but its access key id is not",
    (a: { readonly secret: string; readonly keyId: string }) =>
      `$${a.secret} is masked but $${a.keyId} is not: requests the command signs carry the real key id over a signature made with the sentinel secret, which never verifies, and nothing triggers re-signing`,
    (a) => `mask $${a.keyId} too ("mode": "mask"), or deny $${a.secret}`,
  ),
  SRT447: entry(
    "warning",
    "credentials.sigv4 without an AWS key pair",
    (_: NoArgs) =>
      "credentials.sigv4 has no effect: no masked AWS key pair (credentials.awsPairs, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY masked whole)",
  ),
  SRT448: entry(
    "error",
    "a key srt's own proxy carries out, with that side sent to your own proxy",
    (a: { readonly key: string; readonly port: "httpProxyPort" | "socksProxyPort"; readonly does: string }) =>
      `${a.key} ${a.does}, but network.${a.port} sends that traffic to your own proxy instead: it would not hold`,
    (a) => `remove network.${a.port} so srt's proxy handles that side, or remove ${a.key}`,
  ),
  SRT620: entry(
    "error",
    "a resource limit has no usable value",
    (a: { readonly key: string; readonly reason: string }) => `limit ${a.key}: ${a.reason}`,
  ),
  SRT621: entry(
    "error",
    "a resource limit is set twice",
    (a: { readonly key: string; readonly other: string }) => `the ${a.key} limit is also set at ${a.other}`,
    "keep one: srt does not choose between two values for the same limit",
  ),
  SRT622: entry(
    "warning",
    "resource limits are not enforced on this target",
    (_: NoArgs) => "limits are not enforced by the macOS backend yet: the command runs without them",
  ),
  SRT640: entry(
    "warning",
    "a rule has no meaning in a Kubernetes pod",
    (a: { readonly rule: string; readonly why: string }) => `${a.rule}: ${a.why}; it is left out of the pod`,
  ),
  SRT641: entry(
    "warning",
    "a file-system rule is enforced more strictly in a pod",
    (a: { readonly path: string; readonly why: string }) => `${a.path}: ${a.why}`,
  ),
  SRT642: entry(
    "error",
    "a network rule cannot be enforced with the chosen egress",
    (a: { readonly rule: string; readonly why: string }) => `${a.rule}: ${a.why}`,
    "use --egress proxy (srt proxy decides every connection as srt does locally)",
  ),
  SRT643: entry(
    "warning",
    "the pod is weaker than a local run here",
    (a: { readonly what: string; readonly why: string }) => `${a.what}: ${a.why}`,
  ),
  SRT645: entry(
    "error",
    "a resource limit cannot be set on a pod",
    (a: { readonly key: string; readonly why: string }) => `limits.${a.key}: ${a.why}`,
    'set "limits": {"bestEffort": true} to run the pod without it, or leave this limit to the cluster',
  ),
  SRT644: entry(
    "error",
    "a protected path cannot be named in a Kubernetes object",
    (a: { readonly path: string; readonly origin: string }) =>
      `${a.path} (${a.origin}) is not valid UTF-8, and Kubernetes objects name paths in UTF-8: the pod could not hold it`,
    "rename the path, or run this policy with srt on the machine instead",
  ),
} as const;

/**
 * Runtime failures: the command did not run, or was stopped. Their wording is
 * the runtime's (it names host paths and tool output the compiler never sees);
 * the code says which failure it is, so scripts and library callers can switch
 * on it. The CLI prints them as `srt: error SRT5xx: message`.
 */
export const runtimeCatalog = {
  SRT500: { title: "a host tool srt needs is missing, or the command could replace it" },
  SRT501: { title: "srt's state directory cannot be created or is not safe to use" },
  SRT502: { title: "the plan was compiled for another state directory" },
  SRT503: { title: "the plan file is refused" },
  SRT504: { title: "the sandbox did not start" },
  SRT505: { title: "a protection detached during the run, and the sandbox was killed" },
  SRT506: { title: "the policy needs network proxies and none are available" },
  SRT507: { title: "the --violations file is refused" },
  SRT508: { title: "a set-up step of the run failed" },
  SRT509: { title: "running commands is not implemented on this platform" },
  SRT510: { title: "a native helper srt needs is missing or not safe to run" },
  SRT511: { title: "the sandbox's supervisor could not start (the kernel lacks a feature it needs)" },
  SRT520: { title: "the shell the command runs under (--shell, else bash or sh) is missing" },
  SRT535: { title: "srt proxy cannot listen on an address it was given" },
  SRT540: { title: "a masked credential cannot be prepared for the run" },
  SRT541: { title: "TLS termination cannot be set up (its CA cannot be loaded)" },
  SRT550: { title: "a requested resource limit cannot be enforced on this host" },
  SRT551: { title: "the run's cgroup cannot be set up" },
  SRT552: { title: "a writable root was replaced by a symbolic link after the plan was compiled" },
  SRT545: { title: "the OCI runtime (runc) could not set up the container" },
  SRT546: { title: "the OCI bundle could not be written" },
  SRT547: { title: "the container runtime named is not supported here" },
  SRT560: { title: "the container engine's client (docker, podman) cannot be started" },
  SRT561: { title: "the container engine could not start the container" },
  SRT562: { title: "the container image is not on the engine (srt never pulls)" },
  SRT563: { title: "a docker setting or option is refused" },
  SRT564: { title: "a docker volume would open what the policy protects" },
  SRT570: { title: "srt cannot reach a rootful engine's network namespace as an unprivileged user" },
} as const satisfies Record<string, { title: string }>;

export type RuntimeCode = keyof typeof runtimeCatalog;

export type DiagnosticCode = keyof typeof catalog;
/** What a code's message is built from: the argument type of its own catalog entry. */
export type MessageArgs<C extends DiagnosticCode> = (typeof catalog)[C] extends Entry<infer A> ? A : never;

export interface Diagnostic {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly message: string;
  /** JSON pointer into the settings document ("" = the whole document). */
  readonly pointer: string;
  /** Byte offset into the settings text, when the pointer cannot say (syntax errors). */
  readonly offset?: number;
  readonly hint?: string;
}

export function diagnostic<C extends DiagnosticCode>(
  code: C,
  pointer: string,
  args: MessageArgs<C>,
  extra: { offset?: number | undefined } = {},
): Diagnostic {
  // C is one code at every call site; the catalog's own type cannot say that entry and args belong together.
  const e = catalog[code] as unknown as Entry<MessageArgs<C>>;
  const hint = e.hint?.(args);
  return {
    code,
    severity: e.severity,
    message: e.message(args),
    pointer,
    ...(extra.offset === undefined ? {} : { offset: extra.offset }),
    ...(hint === undefined ? {} : { hint }),
  };
}

export const hasErrors = (ds: readonly Diagnostic[]): boolean => ds.some((d) => d.severity === "error");

/** Stable order for output and goldens: by pointer position, then code. */
export function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  return [...ds].sort(
    (a, b) =>
      (a.offset ?? -1) - (b.offset ?? -1) ||
      compareStrings(a.pointer, b.pointer) ||
      compareStrings(a.code, b.code) ||
      compareStrings(a.message, b.message),
  );
}
