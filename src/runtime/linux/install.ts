/**
 * `srt doctor --fix`: install the host programs a run needs (bwrap; socat, nsenter, setpriv for
 * network access; unshare for root runs) with the machine's package manager, so that one set-up
 * command makes a fresh machine ready. Who may install: root directly, else `sudo -n` when it works
 * without a password; anyone else is shown the exact command to run. Nothing is installed that no
 * check asked for, and the package manager is found like every other host program (system
 * directories, root-owned, never PATH): `srt doctor --fix` run as root from a project whose
 * node_modules/.bin the project controls must not run a planted `apt-get`.
 *
 * The file system and the runner are injected, so the choice of command is tested without
 * installing anything (test/runtime/install.test.ts).
 */
import { locateTool, type ToolFs } from "../host-tools.js";

/** The programs a run may start, in the order packages are named; `cc` only to build srt's own helpers. */
const needed = ["bwrap", "socat", "nsenter", "setpriv", "unshare", "cc"] as const;

interface Manager {
  readonly name: string;
  /** The packages for each program, on this manager's distributions (a C compiler needs libc's headers too). */
  readonly packages: Readonly<Record<(typeof needed)[number], string | readonly string[]>>;
  /** The commands that install packages, in order (a fresh Debian has no package lists yet). */
  readonly commands: (path: string, packages: readonly string[]) => string[][];
}

const common = {
  bwrap: "bubblewrap",
  socat: "socat",
  nsenter: "util-linux",
  setpriv: "util-linux",
  unshare: "util-linux",
  cc: "gcc",
};

/** Tried in this order: the first one found is the machine's. */
const managers: readonly Manager[] = [
  {
    name: "apt-get",
    // --no-install-recommends leaves out libc6-dev, which gcc only recommends.
    packages: { ...common, cc: ["gcc", "libc6-dev"] },
    commands: (p, pkgs) => [
      [p, "update"],
      [p, "install", "-y", "--no-install-recommends", ...pkgs],
    ],
  },
  {
    name: "dnf",
    packages: { ...common, cc: ["gcc", "glibc-devel"] },
    commands: (p, pkgs) => [[p, "install", "-y", ...pkgs]],
  },
  // Alpine splits util-linux: nsenter and setpriv come in their own packages.
  {
    name: "apk",
    packages: {
      ...common,
      nsenter: "nsenter",
      setpriv: "setpriv",
      unshare: "util-linux-misc",
      cc: ["gcc", "musl-dev", "linux-headers"],
    },
    commands: (p, pkgs) => [[p, "add", "--no-cache", ...pkgs]],
  },
  { name: "pacman", packages: common, commands: (p, pkgs) => [[p, "-S", "--needed", "--noconfirm", ...pkgs]] },
];

export interface InstallDeps {
  readonly fs: ToolFs;
  readonly uid: number;
  /** Runs argv with the output shown to the user; its exit status (null when it could not start). */
  readonly run: (argv: readonly string[]) => number | null;
  readonly say: (line: string) => void;
  /**
   * Program → package, replacing srt's own list (its tests install a harmless package through the
   * real package manager this way, instead of removing bubblewrap from a shared machine).
   */
  readonly wants?: Readonly<Record<string, string>>;
  /**
   * srt's native helpers are not built (npm install skips them on a machine without a C compiler):
   * the compiler joins what is installed, and the caller builds them afterwards.
   */
  readonly nativeMissing?: boolean;
}

export type InstallOutcome =
  | { readonly kind: "nothing-missing" }
  | { readonly kind: "installed"; readonly packages: readonly string[]; readonly commands: readonly string[][] }
  /** Could not install: the message says why and what to run. */
  | { readonly kind: "failed"; readonly message: string; readonly commands?: readonly string[][] };

/** The programs a run could need that the system directories lack. */
export const missingPrograms = (fs: ToolFs, uid: number, nativeMissing = false): (typeof needed)[number][] =>
  needed.filter((n) => (n !== "unshare" || uid === 0) && (n !== "cc" || nativeMissing) && !locateTool(n, fs).ok);

const shellWord = (w: string): string => (/^[\w./:=@+-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);
export const commandText = (commands: readonly (readonly string[])[]): string =>
  commands.map((c) => c.map(shellWord).join(" ")).join(" && ");

export function installMissing(deps: InstallDeps): InstallOutcome {
  const { wants } = deps;
  const lacking = (): string[] =>
    wants === undefined
      ? missingPrograms(deps.fs, deps.uid, deps.nativeMissing)
      : Object.keys(wants).filter((n) => !locateTool(n, deps.fs).ok);
  const missing = lacking();
  if (missing.length === 0) return { kind: "nothing-missing" };
  const found = managers.flatMap((m) => {
    const l = locateTool(m.name, deps.fs);
    return l.ok ? [{ manager: m, path: l.tool.path }] : [];
  })[0];
  if (found === undefined)
    return {
      kind: "failed",
      message: `${missing.join(", ")} missing, and no package manager srt knows (${managers.map((m) => m.name).join(", ")}) is installed in the system directories: install bubblewrap, socat and util-linux with this machine's tools`,
    };
  const packagesOf = (n: string): readonly string[] => {
    const p = wants?.[n] ?? found.manager.packages[n as (typeof needed)[number]] ?? /* unreachable: from the list */ n;
    return typeof p === "string" ? [p] : p;
  };
  const packages = [...new Set(missing.flatMap(packagesOf))];
  const plain = found.manager.commands(found.path, packages);
  let commands = plain;
  if (deps.uid !== 0) {
    const sudo = locateTool("sudo", deps.fs);
    // -n: never ask for a password (srt may run without a terminal); a sudo that would ask fails at once.
    if (!sudo.ok || deps.run([sudo.tool.path, "-n", "true"]) !== 0)
      return {
        kind: "failed",
        message: `${missing.join(", ")} missing; installing needs root. Run as root: ${commandText(plain)}`,
        commands: plain,
      };
    commands = plain.map((c) => [sudo.tool.path, "-n", ...c]);
  }
  deps.say(`srt doctor --fix: installing ${packages.join(" ")} (for ${missing.join(", ")}): ${commandText(commands)}`);
  for (const c of commands) {
    const status = deps.run(c);
    if (status !== 0)
      return {
        kind: "failed",
        message: `\`${commandText([c])}\` ${status === null ? "could not start" : `exited ${status}`}; nothing else was run`,
        commands,
      };
  }
  const still = lacking();
  if (still.length > 0)
    return {
      kind: "failed",
      message: `installed ${packages.join(" ")}, but ${still.join(", ")} still not found in the system directories (root-owned, never PATH)`,
      commands,
    };
  return { kind: "installed", packages, commands };
}
