/**
 * Shared by every command that needs a policy: find the settings, compile
 * them on the real host, print the diagnostics. Returns the policy only when
 * there is no error.
 */
import { resolve } from "node:path";
import { compileSettings, type Diagnostic, type Policy, type SelfOutput, type Target } from "../compiler/index.js";
import type { RunAdditions } from "../compiler/additions.js";
import { createNodeHost } from "../runtime/node-host.js";
import { packageRoot } from "../runtime/package-root.js";
import type { CliIo } from "./io.js";
import { locate, renderHuman, type LocatedDiagnostic } from "./render.js";
import { defaultSettingsPath, loadSettings, settingsFromEnv } from "./settings-source.js";
import { createPresetCacheDirs, extendedPresets } from "./preset-dirs.js";

export interface PolicyArgs {
  readonly settings?: string | undefined;
  /** Files srt writes for the policy's runs (compile -o, --violations): protected by the policy itself. */
  readonly outputs?: readonly SelfOutput[];
  readonly target?: string | undefined;
  readonly json?: boolean | undefined;
  /** Print errors only (a run's -q): warnings are for check and explain. */
  readonly quiet?: boolean | undefined;
  /** Create the absent cache directories of the presets the settings extend (runs only). */
  readonly createPresetDirs?: boolean | undefined;
  /** The run mode's --allow-domain and friends (compiler/additions.ts). */
  readonly additions?: RunAdditions | undefined;
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
    if (args.createPresetDirs === true) {
      const home = createNodeHost({ cwd: io.cwd, env: io.env }).env.home;
      const made = createPresetCacheDirs(extendedPresets(loaded.source.text), home);
      if (!args.quiet && made.created.length > 0)
        io.err(`srt: created the cache directories of the presets this policy extends: ${made.created.join(", ")}\n`);
    }
    const result = compileSettings({
      text: loaded.source.text,
      file: loaded.source.file,
      host: createNodeHost({ cwd: io.cwd, env: io.env }),
      target,
      installDir: packageRoot(),
      settingsLookup: [defaultSettingsPath(io.env), ...envSettings(io)],
      ...(args.outputs === undefined ? {} : { outputs: args.outputs }),
      ...(args.additions === undefined ? {} : { additions: args.additions }),
    });
    diagnostics = result.diagnostics;
    policy = result.policy;
  }
  const located = locate(diagnostics, loaded.source);
  const shown = args.quiet === true ? located.filter((d) => d.severity === "error") : located;
  // With --json the command decides where the diagnostics go; people get them on stderr.
  if (!args.json && shown.length > 0) io.err(renderHuman(shown, loaded.source, io.color) + "\n");
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
  o: {
    readonly settings?: string | undefined;
    readonly violations?: string | undefined;
    readonly quiet?: boolean | undefined;
    readonly additions?: RunAdditions | undefined;
  },
  io: CliIo,
  target: Target,
): { policy?: Policy; diagnostics: readonly LocatedDiagnostic[]; settingsValue?: unknown } {
  const outputs =
    o.violations === undefined ? [] : [{ path: resolve(io.cwd, o.violations), rule: "violations-file" as const }];
  return compileForCli(
    {
      settings: o.settings,
      quiet: o.quiet,
      createPresetDirs: true,
      additions: o.additions,
      ...(outputs.length === 0 ? {} : { outputs }),
    },
    io,
    target,
  );
}

/** The file SRT_SETTINGS names: later runs read it, so the policy protects it even when --settings names another. */
function envSettings(io: CliIo): string[] {
  const f = settingsFromEnv(io.env);
  return f === undefined || f === "" ? [] : [resolve(io.cwd, f)];
}
