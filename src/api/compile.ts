/**
 * The library's compiler entry points: settings (an object or JSON text) →
 * IR with diagnostics, and IR → a target artifact. `lower` is pure; `compile`
 * reads the file system only through its Host (the real one by default, or
 * one the caller passes).
 */
import { join } from "node:path";
import type { LinuxPlan } from "../backends/bwrap/index.js";
import { backends } from "../backends/registry.js";
import type { SeccompArch } from "../backends/seccomp/index.js";
import { compileSettings, type Diagnostic, type Host, type Policy, type Target } from "../compiler/index.js";
import { hostSeccompArch } from "../runtime/host-arch.js";
import { createNodeHost } from "../runtime/node-host.js";
import { locateStateDir } from "../runtime/state-dir.js";
import { packageRoot } from "../runtime/package-root.js";

export interface CompileOptions {
  /** The directory the policy is for ("." in settings); default process.cwd(). */
  readonly cwd?: string;
  /** `~` in settings; default $HOME. */
  readonly home?: string;
  /** The environment the compiler sees; default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Default: this machine's platform. */
  readonly target?: Target;
  /** A Host of your own (an in-memory file system, for tests); overrides cwd/home/env. */
  readonly host?: Host;
  /** Where the settings came from, for messages and write-protection; default "default" (no file). */
  readonly file?: string;
}

export interface CompileOutput {
  /** Present only when there is no error. */
  readonly ir?: Policy;
  readonly diagnostics: readonly Diagnostic[];
}

export function compile(settings: object | string, options: CompileOptions = {}): CompileOutput {
  // The state directory is this process's, whatever environment the caller describes: its plans run here.
  const stateDir = locateStateDir(process.env, process.getuid?.() ?? -1);
  const host =
    options.host ??
    createNodeHost({
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(options.home === undefined ? {} : { home: options.home }),
      ...(options.env === undefined ? {} : { env: options.env }),
      stateDir,
    });
  const text = typeof settings === "string" ? settings : JSON.stringify(settings);
  const result = compileSettings({
    text,
    file: options.file ?? "default",
    host,
    target: options.target ?? (host.env.platform === "darwin" ? "macos" : "linux"),
    installDir: packageRoot(),
    // The CLI's default settings file stays write-protected: a sandboxed command must not plant the next CLI run's policy.
    settingsLookup: join(host.env.home, ".srt-settings.json"),
  });
  return result.policy === undefined
    ? { diagnostics: result.diagnostics }
    : { ir: result.policy, diagnostics: result.diagnostics };
}

export type LowerTarget = "linux" | "macos";

/** A Seatbelt profile with the proxy ports it was written for. */
export interface MacosPlan {
  readonly kind: "srt-seatbelt";
  readonly profile: string;
}

export interface LowerOptions {
  /** Linux: the seccomp architecture; default this machine's. */
  readonly arch?: SeccompArch;
}

export function lower(ir: Policy, target: "linux", options?: LowerOptions): LinuxPlan;
export function lower(ir: Policy, target: "macos", options?: LowerOptions): MacosPlan;
export function lower(ir: Policy, target: LowerTarget, options: LowerOptions = {}): LinuxPlan | MacosPlan {
  const { plan, seatbelt } = backends;
  if (target === "macos") return { kind: "srt-seatbelt", profile: seatbelt.render(seatbelt.lower(ir, {})) };
  return plan.lower(ir, { arch: options.arch ?? hostSeccompArch() });
}
