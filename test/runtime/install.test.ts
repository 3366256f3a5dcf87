/**
 * `srt doctor --fix` on an injected machine (src/runtime/linux/install.ts): which programs are
 * missing, which package manager installs them and how, who may (root, sudo -n, else the command
 * is shown), and that the machine is checked again afterwards. The fake package manager "installs"
 * by adding the programs to the fake system directories, as a real one would.
 * test/linux/doctor-fix.test.ts runs the real apt-get (under CI or SRT_TEST_APT=1).
 */
import { describe, expect, it } from "vitest";
import type { ToolFs, ToolFsEntry } from "../../src/runtime/host-tools.js";
import { commandText, installMissing, missingPrograms } from "../../src/runtime/linux/install.js";

const dirs = ["/", "/usr", "/usr/bin", "/usr/sbin", "/usr/local", "/usr/local/bin", "/usr/local/sbin", "/bin", "/sbin"];

/** A machine: the files in the system directories (root-owned 0755 unless given otherwise). */
function machine(files: Record<string, Partial<ToolFsEntry>>) {
  const fs: ToolFs = {
    lstat(path) {
      if (dirs.includes(path)) return { kind: "dir", uid: 0, mode: 0o755 };
      const f = files[path];
      return f === undefined ? undefined : { kind: "file", uid: 0, mode: 0o755, ...f };
    },
    readlink: () => undefined,
  };
  const ran: string[] = [];
  /** What each package puts where, when a fake manager installs it. */
  const provides: Record<string, string[]> = {
    bubblewrap: ["/usr/bin/bwrap"],
    socat: ["/usr/bin/socat"],
    "util-linux": ["/usr/bin/nsenter", "/usr/bin/setpriv", "/usr/bin/unshare"],
    // Alpine's split of util-linux.
    nsenter: ["/usr/bin/nsenter"],
    setpriv: ["/usr/bin/setpriv"],
    "util-linux-misc": ["/usr/bin/unshare"],
    gcc: ["/usr/bin/cc"],
  };
  const run = (argv: readonly string[]): number => {
    ran.push(argv.join(" "));
    const words = argv[0]?.endsWith("sudo") ? argv.slice(2) : argv;
    if (words[0] === "true") return 0;
    if (/(apt-get|dnf|apk|pacman)$/.test(words[0] ?? "") && words[1] !== "update")
      for (const pkg of words.slice(1)) for (const p of provides[pkg] ?? []) files[p] = {};
    return 0;
  };
  const said: string[] = [];
  return { fs, ran, run, said, say: (l: string) => void said.push(l), files };
}

const allTools = {
  "/usr/bin/bwrap": {},
  "/usr/bin/socat": {},
  "/usr/bin/nsenter": {},
  "/usr/bin/setpriv": {},
  "/usr/bin/unshare": {},
};

describe("srt doctor --fix", () => {
  it("srt's helpers not built and no compiler: gcc with libc's headers joins the install; else no compiler is wanted", () => {
    const m = machine({ ...allTools, "/usr/bin/apt-get": {} });
    expect(installMissing({ ...m, uid: 0 })).toEqual({ kind: "nothing-missing" });
    const r = installMissing({ ...m, uid: 0, nativeMissing: true });
    expect(r).toMatchObject({
      kind: "installed",
      packages: ["gcc", "libc6-dev"],
      commands: [
        ["/usr/bin/apt-get", "update"],
        ["/usr/bin/apt-get", "install", "-y", "--no-install-recommends", "gcc", "libc6-dev"],
      ],
    });
    expect(missingPrograms(m.fs, 0, true)).toEqual([]);
  });

  it("nothing missing: nothing runs", () => {
    const m = machine({ ...allTools, "/usr/bin/apt-get": {} });
    expect(installMissing({ ...m, uid: 0 })).toEqual({ kind: "nothing-missing" });
    expect(m.ran).toEqual([]);
  });

  it("as root on Debian without bwrap or socat: apt-get update, then install; the programs are there afterwards", () => {
    const m = machine({
      "/usr/bin/apt-get": {},
      "/usr/bin/nsenter": {},
      "/usr/bin/setpriv": {},
      "/usr/bin/unshare": {},
    });
    expect(missingPrograms(m.fs, 0)).toEqual(["bwrap", "socat"]);
    const r = installMissing({ ...m, uid: 0 });
    expect(r).toEqual({
      kind: "installed",
      packages: ["bubblewrap", "socat"],
      commands: [
        ["/usr/bin/apt-get", "update"],
        ["/usr/bin/apt-get", "install", "-y", "--no-install-recommends", "bubblewrap", "socat"],
      ],
    });
    expect(m.ran).toEqual([
      "/usr/bin/apt-get update",
      "/usr/bin/apt-get install -y --no-install-recommends bubblewrap socat",
    ]);
    expect(missingPrograms(m.fs, 0)).toEqual([]);
    expect(m.said[0]).toMatch(/^srt doctor --fix: installing bubblewrap socat \(for bwrap, socat\): /);
  });

  it("unshare is needed by root runs only", () => {
    const m = machine({ "/usr/bin/bwrap": {}, "/usr/bin/socat": {}, "/usr/bin/nsenter": {}, "/usr/bin/setpriv": {} });
    expect(missingPrograms(m.fs, 0)).toEqual(["unshare"]);
    expect(missingPrograms(m.fs, 1000)).toEqual([]);
  });

  it.each([
    ["/usr/bin/dnf", ["/usr/bin/dnf install -y bubblewrap socat util-linux"]],
    ["/sbin/apk", ["/sbin/apk add --no-cache bubblewrap socat nsenter setpriv util-linux-misc"]],
    ["/usr/bin/pacman", ["/usr/bin/pacman -S --needed --noconfirm bubblewrap socat util-linux"]],
  ])("with %s", (manager, commands) => {
    const m = machine({ [manager]: {} });
    const r = installMissing({ ...m, uid: 0 });
    expect(m.ran).toEqual(commands);
    expect(r.kind).toBe("installed");
  });

  it("not root: through sudo -n when it works without a password", () => {
    const m = machine({ "/usr/bin/apt-get": {}, "/usr/bin/sudo": {}, "/usr/bin/nsenter": {}, "/usr/bin/setpriv": {} });
    const r = installMissing({ ...m, uid: 1000 });
    expect(r.kind).toBe("installed");
    expect(m.ran).toEqual([
      "/usr/bin/sudo -n true",
      "/usr/bin/sudo -n /usr/bin/apt-get update",
      "/usr/bin/sudo -n /usr/bin/apt-get install -y --no-install-recommends bubblewrap socat",
    ]);
  });

  it("not root, and sudo would ask for a password (or is absent): the exact command is shown, nothing installed", () => {
    for (const files of [{ "/usr/bin/sudo": {} }, {}]) {
      const m = machine({ "/usr/bin/apt-get": {}, ...files });
      const r = installMissing({ ...m, uid: 1000, run: (argv) => (m.ran.push(argv.join(" ")), 1) });
      expect(r).toMatchObject({
        kind: "failed",
        message:
          "bwrap, socat, nsenter, setpriv missing; installing needs root. Run as root: /usr/bin/apt-get update && /usr/bin/apt-get install -y --no-install-recommends bubblewrap socat util-linux",
      });
      expect(m.ran.filter((c) => !c.endsWith("sudo -n true"))).toEqual([]);
    }
  });

  it("a package manager anyone could replace, or none at all: no install, a clear message", () => {
    const planted = machine({ "/usr/local/bin/apt-get": { uid: 1000 } });
    expect(installMissing({ ...planted, uid: 0 })).toMatchObject({
      kind: "failed",
      message: /no package manager srt knows/,
    });
    expect(planted.ran).toEqual([]);
  });

  it("a failing step stops the rest, and a package that did not provide the program is said", () => {
    const m = machine({ "/usr/bin/apt-get": {} });
    const failing = installMissing({ ...m, uid: 0, run: (argv) => (m.ran.push(argv.join(" ")), 100) });
    expect(failing).toMatchObject({
      kind: "failed",
      message: "`/usr/bin/apt-get update` exited 100; nothing else was run",
    });
    expect(m.ran).toHaveLength(1);
    const n = machine({ "/usr/bin/apt-get": {} });
    const hollow = installMissing({ ...n, uid: 0, run: () => 0 });
    expect(hollow).toMatchObject({ kind: "failed", message: /still not found in the system directories/ });
  });

  it("shows commands as a shell would read them", () => {
    expect(commandText([["apt-get", "install", "a b"], ["x"]])).toBe("apt-get install 'a b' && x");
  });
});
