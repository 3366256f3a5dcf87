/**
 * Shared by every command that needs a policy: find the settings, compile
 * them on the real host, print the diagnostics. Returns the policy only when
 * there is no error.
 */
import { resolve } from "node:path";
import { compileSettings, type Diagnostic, type Policy, type SelfOutput, type Target } from "../compiler/index.js";
import { createNodeHost } from "../runtime/node-host.js";
import { packageRoot } from "../runtime/package-root.js";
import type { CliIo } from "./io.js";
import { locate, renderHuman, type LocatedDiagnostic } from "./render.js";
import { defaultSettingsPath, loadSettings } from "./settings-source.js";

export interface PolicyArgs {
  readonly settings?: string | undefined;
  /** Files srt writes for the policy's runs (compile -o, --violations): protected by the policy itself. */
  readonly outputs?: readonly SelfOutput[];
  readonly target?: string | undefined;
  readonly json?: boolean | undefined;
}

export function compileForCli(
  args: PolicyArgs,
  io: CliIo,
  target: Target,
): { policy?: Policy; diagnostics: readonly LocatedDiagnostic[]; settingsValue?: unknown } {
  const loaded = loadSettings(args.settings, io.cwd, io.env);
  let diagnostics: readonly Diagnostic[];
  let policy: Policy | undefined;
  if (!loaded.ok) {
    diagnostics = loaded.diagnostics;
  } else {
    const result = compileSettings({
      text: loaded.source.text,
      file: loaded.source.file,
      host: createNodeHost({ cwd: io.cwd, env: io.env }),
      target,
      installDir: packageRoot(),
      settingsLookup: defaultSettingsPath(io.env),
      ...(args.outputs === undefined ? {} : { outputs: args.outputs }),
    });
    diagnostics = result.diagnostics;
    policy = result.policy;
  }
  const located = locate(diagnostics, loaded.source);
  // With --json the command decides where the diagnostics go; people get them on stderr.
  if (!args.json && located.length > 0) io.err(renderHuman(located, loaded.source, io.color) + "\n");
  if (policy === undefined) return { diagnostics: located };
  // The value the policy came from, for what the IR only points at (parentProxy credentials).
  let settingsValue: unknown;
  try {
    settingsValue = loaded.ok && loaded.source.text !== undefined ? JSON.parse(loaded.source.text) : undefined;
  } catch {
    settingsValue = undefined;
  }
  return { policy, diagnostics: located, settingsValue };
}

/**
 * The run mode's compile (Linux and macOS alike): the --violations file is
 * protected by the policy itself, since srt appends to it after the command ran.
 */
export function compileForRun(
  o: { readonly settings?: string | undefined; readonly violations?: string | undefined },
  io: CliIo,
  target: Target,
): { policy?: Policy; diagnostics: readonly LocatedDiagnostic[]; settingsValue?: unknown } {
  const outputs =
    o.violations === undefined ? [] : [{ path: resolve(io.cwd, o.violations), rule: "violations-file" as const }];
  return compileForCli({ settings: o.settings, ...(outputs.length === 0 ? {} : { outputs }) }, io, target);
}
