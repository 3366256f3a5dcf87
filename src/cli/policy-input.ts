/**
 * Shared by every command that needs a policy: find the settings, compile
 * them on the real host, print the diagnostics. Returns the policy only when
 * there is no error.
 */
import { resolve } from "node:path";
import { compileSettings, type Diagnostic, type Policy, type SelfOutput, type Target } from "../compiler/index.js";
import type { RunAdditions } from "../compiler/additions.js";
import { createNodeHost } from "../runtime/node-host.js";
import { memoizedCompile, type MemoWriter } from "../runtime/compile-memo-store.js";
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
  /** Leave writing the compile memo to the caller (CliCompile.keepMemo): a run writes it once its command started. */
  readonly keepMemoLater?: boolean | undefined;
}

/** The hash of dist/cli.cjs (scripts/build.mjs); undeclared when srt's sources run unbundled (tests), which keep no memo. */
declare const SRT_CLI_BUILD: string | undefined;
const cliBuild = typeof SRT_CLI_BUILD === "string" ? SRT_CLI_BUILD : undefined;

export function compileForCli(args: PolicyArgs, io: CliIo, target: Target): CliCompile {
  const loaded = loadSettings(args.settings, io.cwd, io.env);
  let diagnostics: readonly Diagnostic[];
  let policy: Policy | undefined;
  let memo: string | undefined;
  let keepMemo: (() => string | undefined) | undefined;
  const later: MemoWriter | undefined = args.keepMemoLater === true ? (write) => (keepMemo = write) : undefined;
  if (!loaded.ok) {
    diagnostics = loaded.diagnostics;
  } else {
    const host = createNodeHost({ cwd: io.cwd, env: io.env });
    if (args.createPresetDirs === true) {
      const made = createPresetCacheDirs(extendedPresets(loaded.source.text), host.env.home);
      if (!args.quiet && made.created.length > 0)
        io.err(`srt: created the cache directories of the presets this policy extends: ${made.created.join(", ")}\n`);
    }
    // The last compile of the same input, while every answer it got from this machine still holds
    // (runtime/compile-memo.ts): in a large project the mandatory search is most of a compile.
    const { result, how } = memoizedCompile(
      {
        text: loaded.source.text,
        file: loaded.source.file,
        target,
        installDir: packageRoot(),
        settingsLookup: [defaultSettingsPath(io.env), ...envSettings(io)],
        ...(args.outputs === undefined ? {} : { outputs: args.outputs }),
        ...(args.additions === undefined ? {} : { additions: args.additions }),
      },
      host,
      // SRT_COMPILE_MEMO=0: compile every time (as SRT_CODE_CACHE=0 turns off the code cache).
      { stateDir: host.env.stateDir, uid: io.uid, build: io.env["SRT_COMPILE_MEMO"] === "0" ? undefined : cliBuild },
      compileSettings,
      undefined,
      later,
    );
    diagnostics = result.diagnostics;
    policy = result.policy;
    memo = how;
  }
  const located = locate(diagnostics, loaded.source);
  const shown = args.quiet === true ? located.filter((d) => d.severity === "error") : located;
  // With --json the command decides where the diagnostics go; people get them on stderr.
  if (!args.json && shown.length > 0) io.err(renderHuman(shown, loaded.source, io.color) + "\n");
  if (policy === undefined) return { diagnostics: located, ...(memo === undefined ? {} : { memo }) };
  const kept = keepMemo === undefined ? {} : { keepMemo };
  // The value the policy came from, for what the IR only points at (parentProxy credentials).
  let settingsValue: unknown;
  try {
    settingsValue = loaded.ok && loaded.source.text !== undefined ? JSON.parse(loaded.source.text) : undefined;
  } catch {
    settingsValue = undefined;
  }
  return { policy, diagnostics: located, settingsValue, ...(memo === undefined ? {} : { memo }), ...kept };
}

export interface CliCompile {
  readonly policy?: Policy;
  readonly diagnostics: readonly LocatedDiagnostic[];
  readonly settingsValue?: unknown;
  /** Whether the compile ran or a memo of it was reused, for -d. */
  readonly memo?: string;
  /** With keepMemoLater: writes the compile memo, returning why nothing was kept (or undefined). */
  readonly keepMemo?: () => string | undefined;
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
  keepMemoLater = false,
): CliCompile {
  const outputs =
    o.violations === undefined ? [] : [{ path: resolve(io.cwd, o.violations), rule: "violations-file" as const }];
  return compileForCli(
    {
      settings: o.settings,
      quiet: o.quiet,
      createPresetDirs: true,
      additions: o.additions,
      keepMemoLater,
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
