/**
 * The compiler pipeline: parse → validate → normalize → expand → IR, plus the
 * target checks. Pure: everything about the machine comes from `host`.
 */
import { defaultLimits, type BudgetLimits } from "./budget.js";
import { diagnostic, hasErrors, sortDiagnostics, type Diagnostic } from "./diagnostics.js";
import { expandPaths } from "./expand.js";
import { externalProxyDiagnostics } from "./external-proxy.js";
import type { Host } from "./host.js";
import { foreignKeyDiagnostics } from "./foreign-keys.js";
import type { FsRule, Origin, PathRule, Policy, ResourceLimits } from "./ir.js";
import { isLegacy, viewOfLegacy } from "./legacy.js";
import { normalizeSettings, type NormalizedSettings } from "./normalize.js";
import { parseSettings } from "./parse.js";
import type { SelfOutput } from "./self-protect.js";
import { dirname, isWithin } from "./paths.js";
import { splitRsDialect, withRsDialect } from "./rs-dialect.js";
import { validateSettings } from "./validate.js";
import { withAdditions, type RunAdditions } from "./additions.js";
import { viewOfSettings } from "./view.js";

export type Target = "linux" | "macos";

export interface CompileInput {
  /** Settings text; undefined when no settings file exists (defaults apply). */
  readonly text: string | undefined;
  /** Absolute path of the settings file, or "default". */
  readonly file: string;
  readonly host: Host;
  readonly target: Target;
  /** srt's installation directory (write-protected when it lies in a writable root). */
  readonly installDir?: string;
  /**
   * Where srt looks for settings when none are named (~/.srt-settings.json,
   * and the file SRT_SETTINGS names).
   * Protected like the file in use, also while absent: a sandboxed command
   * that could create it would write the policy of every later run.
   */
  readonly settingsLookup?: string | readonly string[];
  /**
   * Files srt writes for the runs of this policy (`srt compile -o F`, `--violations F`):
   * write-protected in the policy itself, so its command cannot rewrite them for the next run.
   */
  readonly outputs?: readonly SelfOutput[];
  readonly limits?: BudgetLimits;
  /** Entries the command line adds for this run (`--allow-domain D`…; additions.ts). */
  readonly additions?: RunAdditions;
}

export interface CompileResult {
  readonly policy?: Policy;
  readonly diagnostics: readonly Diagnostic[];
}

export function compileSettings(input: CompileInput): CompileResult {
  const { host } = input;
  let value: unknown = {};
  if (input.text !== undefined) {
    const parsed = parseSettings(input.text);
    if (!parsed.ok) return { diagnostics: parsed.diagnostics };
    value = parsed.value;
  }
  const rs = splitRsDialect(value);
  const validated = validateSettings(rs.rest);
  if (!validated.ok || hasErrors(rs.diagnostics))
    return { diagnostics: sortDiagnostics([...rs.diagnostics, ...(validated.ok ? [] : validated.diagnostics)]) };

  const diagnostics: Diagnostic[] = [...rs.diagnostics];
  const settingsDir = input.file === "default" ? undefined : dirname(input.file);
  let view = viewOfSettings(validated.settings);
  if (isLegacy(validated.settings)) {
    const legacy = viewOfLegacy(validated.settings, settingsDir);
    diagnostics.push(...legacy.diagnostics);
    view = legacy.view;
  }
  view = withAdditions(withRsDialect(view, rs.rs), input.additions);
  const env = { cwd: host.env.cwd, home: host.env.home, vars: host.env.vars };
  const { normalized, diagnostics: normDiags } = normalizeSettings(view, env);
  diagnostics.push(
    ...normDiags,
    ...targetDiagnostics(normalized, input.target),
    ...foreignKeyDiagnostics(value, input.target),
  );
  if (hasErrors(diagnostics)) return { diagnostics: sortDiagnostics(diagnostics) };

  const disabled = normalized.filesystemDisabled;
  const expanded =
    disabled !== undefined
      ? fileSystemDisabled(host, disabled)
      : expandPaths(host, {
          paths: normalized.paths,
          options: normalized.options,
          settingsFiles: [
            ...(input.file === "default" ? [] : [input.file]),
            ...(input.settingsLookup === undefined ? [] : [input.settingsLookup].flat()),
          ],
          ...(input.installDir === undefined ? {} : { installDir: input.installDir }),
          outputs: input.outputs ?? [],
          limits: input.limits ?? defaultLimits,
          // Both Linux backends hide srt's state directory whole; Seatbelt does not (macOS keeps the search there).
          ...(input.target === "linux" ? { hidden: [host.env.stateDir] } : {}),
        });
  diagnostics.push(...expanded.diagnostics);
  if (input.target === "linux") {
    for (const l of expanded.linkedProtected) {
      diagnostics.push(diagnostic("SRT307", l.origin, { path: l.path }));
    }
  }
  if (input.target === "linux") diagnostics.push(...stateDirWrites(expanded.rules, host.env.stateDir));
  if (hasErrors(diagnostics)) return { diagnostics: sortDiagnostics(diagnostics) };

  const policy: Policy = {
    kind: "policy",
    version: 1,
    source: input.file,
    context: {
      cwd: host.env.cwd,
      home: host.env.home,
      platform: input.target === "macos" ? "darwin" : "linux",
      stateDir: host.env.stateDir,
      ...(input.target === "linux" && expanded.binfmtMisc ? { binfmtMisc: true as const } : {}),
    },
    filesystem: {
      rules: sortRules(expanded.rules),
      privateTmp: true,
      ...(disabled === undefined ? {} : { disabled }),
    },
    ...(normalized.hostTools === undefined ? {} : { hostTools: normalized.hostTools }),
    network: normalized.network,
    env: normalized.env,
    ignoreViolations: normalized.ignoreViolations,
    limits: normalized.limits,
    options: normalized.options,
  };
  return { policy, diagnostics: sortDiagnostics(diagnostics) };
}

/**
 * srt's state directory holds every run's private files and the placeholder
 * registry; a sandbox that could write there could rewrite what srt trusts for
 * a concurrent or later run. The backend hides it whole after the policy's own
 * mounts, so such a rule could only be silently dropped: it is a mistake or an
 * attempt to reach another run's files, and is refused instead. A writable root
 * that *contains* it (the temp directory) is fine: the mask lands on top.
 */
function stateDirWrites(rules: readonly FsRule[], stateDir: string): Diagnostic[] {
  return rules
    .filter(
      (r): r is PathRule =>
        r.kind === "path" && r.access === "write" && r.effect === "allow" && isWithin(r.path, stateDir),
    )
    .map((r) => diagnostic("SRT308", r.origin, { path: r.path, stateDir }));
}

/**
 * filesystem.disabled (a reference-tool key): the user trusts the command with every file, so
 * no rule of the settings applies and no mandatory deny either (as in the reference tool). What
 * stays read-only is what srt itself must trust to run later sandboxes: the root directory and
 * the system directories its host programs (bwrap, socat, sh) and their libraries come from; a
 * command that could replace those would own the next run (src/runtime/linux/tools.ts refuses
 * such a plan). Every other top-level directory is writable, each with the key as its origin.
 */
export const systemProgramDirs: readonly string[] = ["/bin", "/lib", "/lib32", "/lib64", "/libx32", "/sbin", "/usr"];
/** bwrap gives the sandbox its own /dev and /proc, and /sys stays read-only whatever the policy. */
const kernelDirs = ["/dev", "/proc", "/sys"];

function fileSystemDisabled(host: Host, origin: Origin): ReturnType<typeof expandPaths> {
  const binfmt = host.lstat("/proc/sys/fs/binfmt_misc");
  const binfmtMisc = binfmt.ok && binfmt.value.kind === "dir";
  const top = host.readdir("/");
  if (!top.ok)
    return {
      rules: [],
      diagnostics: [diagnostic("SRT300", origin, { kind: "rule", at: "/", code: top.code, spelled: "/" })],
      linkedProtected: [],
      binfmtMisc,
    };
  const rules: PathRule[] = top.value
    .filter((e) => e.kind === "dir")
    .map((e) => `/${e.name}`)
    .filter((p) => !systemProgramDirs.includes(p) && !kernelDirs.includes(p))
    .map((path) => ({
      kind: "path",
      access: "write",
      effect: "allow",
      path,
      node: "dir",
      via: { kind: "literal" },
      origin,
    }));
  return { rules, diagnostics: [], linkedProtected: [], binfmtMisc };
}

/** Keys that mean nothing (or less than they seem) on the chosen target are said out loud. */
function targetDiagnostics(n: NormalizedSettings, target: Target): Diagnostic[] {
  const out: Diagnostic[] = [];
  const o = n.options;
  const net = n.network;
  if (target === "linux" && o.allowPty.origin !== "default")
    out.push(diagnostic("SRT400", o.allowPty.origin, { kind: "allowPty" }));
  const limited = firstLimit(n.limits);
  if (target === "macos" && limited !== undefined) out.push(diagnostic("SRT622", limited, {}));
  if (target === "macos") {
    for (const key of ["enableWeakerNestedSandbox", "allowNestedUserNamespaces"] as const) {
      if (o[key].origin !== "default") out.push(diagnostic("SRT400", o[key].origin, { kind: "linux-only", key }));
    }
  }
  if (target === "linux" && net.allowLocalBinding.origin !== "default") {
    out.push(diagnostic("SRT400", net.allowLocalBinding.origin, { kind: "allowLocalBinding" }));
  }
  for (const p of n.inert) out.push(diagnostic("SRT400", p, { kind: "docker" }));
  // macOS terminates TLS and injects masked variables like Linux, but cannot show a masked copy of a file in its place.
  if (target === "macos" && net.masks)
    for (const m of net.masks.entries)
      if (m.source.kind === "file") out.push(diagnostic("SRT433", m.origin, { path: m.source.path }));
  out.push(...externalProxyDiagnostics(net));
  if (n.filesystemDisabled !== undefined)
    out.push(diagnostic("SRT134", n.filesystemDisabled, { kind: "filesystem-disabled" }));
  if (target === "macos" && o.allowAppleEvents?.value === true)
    out.push(diagnostic("SRT134", o.allowAppleEvents.origin, { kind: "apple-events" }));
  if (target === "linux") {
    if (o.enableWeakerNestedSandbox.value)
      out.push(diagnostic("SRT401", o.enableWeakerNestedSandbox.origin, { key: "enableWeakerNestedSandbox" }));
    if (o.allowNestedUserNamespaces.value)
      out.push(diagnostic("SRT401", o.allowNestedUserNamespaces.origin, { key: "allowNestedUserNamespaces" }));
  }
  if (net.allowAllUnixSockets.value)
    out.push(diagnostic("SRT401", net.allowAllUnixSockets.origin, { key: "allowAllUnixSockets" }));
  for (const s of net.unixSockets) {
    if (/docker\.sock|podman\.sock|containerd\.sock/.test(s.path))
      out.push(diagnostic("SRT305", s.origin, { path: s.path }));
  }
  return out;
}

const key = (r: FsRule): string =>
  r.kind === "path"
    ? `path\0${r.access}\0${r.effect}\0${r.path}\0${r.origin}\0${JSON.stringify(r.via)}`
    : `glob\0${r.access}\0${r.effect}\0${r.pattern}\0${r.origin}`;

/** Deterministic, duplicate-free order: the IR must not depend on input order. */
function sortRules(rules: readonly FsRule[]): FsRule[] {
  const byKey = new Map(rules.map((r) => [key(r), r]));
  return [...byKey.keys()].sort().map((k) => byKey.get(k)!);
}

/** Where the first requested limit was set, or undefined when none is. */
const firstLimit = (l: ResourceLimits): Origin | undefined =>
  [l.memory, l.pids, l.cpu, l.wallTime, l.fileSize, l.openFiles].find((v) => v !== undefined)?.origin;
