/**
 * Both settings dialects are read into one view in which every entry keeps the
 * JSON pointer it came from, so origins in the IR point at what the user wrote
 * (`/permissions/allow/3` for a legacy rule, `/filesystem/denyRead/0` otherwise).
 */
import type { CliOrigin, Origin, Pointer } from "./ir.js";
import { pointerOf } from "./pointer.js";
import type { PresetName } from "./presets.js";
import type {
  CredentialsSettings,
  EnvSettings,
  IgnoreViolations,
  LimitsSettings,
  NetworkSettings,
  PathEntry,
  SrtSettings,
} from "./settings.gen.js";

export interface Sourced<T, P extends string = Pointer> {
  readonly value: T;
  /** Where diagnostics point. */
  readonly pointer: P;
  /** The rule's origin when it is not the pointer (a preset's entries: "preset:node"). */
  readonly origin?: Origin;
}

/** A list entry: written in the settings, or given on the command line for this run (additions.ts). */
export type Listed<T> = Sourced<T, Pointer | CliOrigin>;

export interface SettingsView {
  readonly dialect: "srt" | "permissions";
  readonly denyRead: readonly Listed<PathEntry>[];
  readonly allowRead: readonly Sourced<PathEntry>[];
  /** undefined when absent: the default (the working directory) applies. */
  readonly allowWrite: readonly Sourced<PathEntry>[] | undefined;
  /** Writable paths added to whatever allowWrite (or its default) gives: `--allow-write P` (additions.ts). */
  readonly addedWrite?: readonly Listed<PathEntry>[];
  readonly denyWrite: readonly Sourced<PathEntry>[];
  readonly allowedDomains: readonly Listed<string>[];
  readonly deniedDomains: readonly Listed<string>[];
  /** The network object (for its switches) and where it sits. */
  readonly network: Sourced<NetworkSettings> | undefined;
  readonly scalars: {
    readonly allowGitConfig?: Sourced<boolean>;
    readonly enableWeakerNestedSandbox?: Sourced<boolean>;
    readonly allowNestedUserNamespaces?: Sourced<boolean>;
    readonly allowPty?: Sourced<boolean>;
    readonly mandatoryDenySearchDepth?: Sourced<number>;
  };
  readonly env: Sourced<EnvSettings> | undefined;
  readonly ignoreViolations: Sourced<IgnoreViolations> | undefined;
  readonly docker: Sourced<unknown> | undefined;
  /** Resource limits (src/compiler/limits.ts). */
  readonly limits?: Sourced<LimitsSettings> | undefined;
  readonly credentials?: Sourced<CredentialsSettings> | undefined;
  /** filesystem.disabled (a reference-tool key): no file-system rules at all. */
  readonly filesystemDisabled: Sourced<boolean> | undefined;
  /** Top-level keys of the reference tool that srt honours; in both dialects they sit at the top. */
  readonly tooling: Tooling;
  /** `extends`: the presets whose rules join this policy's (top level in both dialects). */
  readonly presets: readonly Sourced<PresetName>[];
}

export interface Tooling {
  readonly gitSafeDirectories?: Sourced<readonly string[]>;
  readonly allowAppleEvents?: Sourced<boolean>;
  readonly bwrapPath?: Sourced<string>;
  readonly socatPath?: Sourced<string>;
}

/** The reference-tool keys of the top level, with their pointers. */
export function toolingOf(s: SrtSettings): Tooling {
  const entries = {
    gitSafeDirectories: sourced(s.git?.safeDirectories, "git", "safeDirectories"),
    allowAppleEvents: sourced(s.allowAppleEvents, "allowAppleEvents"),
    bwrapPath: sourced(s.bwrapPath, "bwrapPath"),
    socatPath: sourced(s.socatPath, "socatPath"),
  };
  return Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined)) as Tooling;
}

export const sourcedList = <T>(items: readonly T[] | undefined, ...at: (string | number)[]): Sourced<T>[] =>
  (items ?? []).map((value, i) => ({ value, pointer: pointerOf(...at, i) }));

export const sourced = <T>(value: T | undefined, ...at: [...(string | number)[], string]): Sourced<T> | undefined =>
  value === undefined ? undefined : { value, pointer: pointerOf(...at) };

/** The srt dialect: everything at the top level. */
export function viewOfSettings(s: SrtSettings): SettingsView {
  const fs = s.filesystem;
  return {
    dialect: "srt",
    denyRead: sourcedList(fs?.denyRead, "filesystem", "denyRead"),
    allowRead: sourcedList(fs?.allowRead, "filesystem", "allowRead"),
    allowWrite: fs?.allowWrite === undefined ? undefined : sourcedList(fs.allowWrite, "filesystem", "allowWrite"),
    denyWrite: sourcedList(fs?.denyWrite, "filesystem", "denyWrite"),
    allowedDomains: sourcedList(s.network?.allowedDomains, "network", "allowedDomains"),
    deniedDomains: sourcedList(s.network?.deniedDomains, "network", "deniedDomains"),
    network: sourced(s.network, "network"),
    scalars: scalarsOf(s, fs?.allowGitConfig, []),
    env: sourced(s.env, "env"),
    ignoreViolations: sourced(s.ignoreViolations, "ignoreViolations"),
    docker: sourced(s.docker, "docker"),
    credentials: sourced(s.credentials, "credentials"),
    filesystemDisabled: sourced(fs?.disabled, "filesystem", "disabled"),
    tooling: toolingOf(s),
    presets: sourcedList(s.extends, "extends"),
    limits: sourced(s.limits, "limits"),
  };
}

type Scalars = Pick<
  SrtSettings,
  "enableWeakerNestedSandbox" | "allowNestedUserNamespaces" | "allowPty" | "mandatoryDenySearchDepth"
>;

export function scalarsOf(
  s: Scalars,
  allowGitConfig: boolean | undefined,
  base: string[],
  gitConfigAt: readonly [...string[], string] = ["filesystem", "allowGitConfig"],
): SettingsView["scalars"] {
  const entries = {
    allowGitConfig: sourced(allowGitConfig, ...base, ...gitConfigAt),
    enableWeakerNestedSandbox: sourced(s.enableWeakerNestedSandbox, ...base, "enableWeakerNestedSandbox"),
    allowNestedUserNamespaces: sourced(s.allowNestedUserNamespaces, ...base, "allowNestedUserNamespaces"),
    allowPty: sourced(s.allowPty, ...base, "allowPty"),
    mandatoryDenySearchDepth: sourced(s.mandatoryDenySearchDepth, ...base, "mandatoryDenySearchDepth"),
  };
  // exactOptionalPropertyTypes: drop absent keys instead of storing undefined.
  return Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined)) as SettingsView["scalars"];
}
