/**
 * Both settings dialects are read into one view in which every entry keeps the
 * JSON pointer it came from, so origins in the IR point at what the user wrote
 * (`/permissions/allow/3` for a legacy rule, `/filesystem/denyRead/0` otherwise).
 */
import type { Pointer } from "./ir.js";
import { pointerOf } from "./pointer.js";
import type {
  CredentialsSettings,
  EnvSettings,
  IgnoreViolations,
  NetworkSettings,
  PathEntry,
  SrtSettings,
} from "./settings.gen.js";

export interface Sourced<T> {
  readonly value: T;
  readonly pointer: Pointer;
}

export interface SettingsView {
  readonly dialect: "srt" | "permissions";
  readonly denyRead: readonly Sourced<PathEntry>[];
  readonly allowRead: readonly Sourced<PathEntry>[];
  /** undefined when absent: the default (the working directory) applies. */
  readonly allowWrite: readonly Sourced<PathEntry>[] | undefined;
  readonly denyWrite: readonly Sourced<PathEntry>[];
  readonly allowedDomains: readonly Sourced<string>[];
  readonly deniedDomains: readonly Sourced<string>[];
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
  readonly credentials?: Sourced<CredentialsSettings> | undefined;
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
