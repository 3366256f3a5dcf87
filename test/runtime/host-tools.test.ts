/**
 * The rule for host programs, on an injected file system: only the system
 * directories, never PATH; a candidate only if root alone controls the file
 * and every directory met while resolving it; the message for a missing tool;
 * and the refusal of a plan whose command could change what srt starts.
 */
import { describe, expect, it } from "vitest";
import { hostWritesOf } from "../../src/backends/bwrap/index.js";
import { locateTool, resolveTrusted, type ToolFs, type ToolFsEntry } from "../../src/runtime/host-tools.js";
import { bwrapFix, preflight } from "../../src/runtime/linux/preflight.js";
import { findTools, toolsExposed } from "../../src/runtime/linux/tools.js";

type Node = Partial<ToolFsEntry> & { readonly target?: string };

/** Paths → nodes; directories default to root:root 0755, files to root:root 0755, links to their target. */
function fakeFs(nodes: Readonly<Record<string, Node>>): ToolFs {
  return {
    lstat(path) {
      const n = nodes[path];
      if (n === undefined) return undefined;
      const kind = n.kind ?? (n.target !== undefined ? "symlink" : "file");
      return { kind, uid: n.uid ?? 0, mode: n.mode ?? (kind === "symlink" ? 0o777 : 0o755) };
    },
    readlink: (path) => nodes[path]?.target,
  };
}

const dir: Node = { kind: "dir" };
/** A Debian-like merged /usr: /bin and /sbin are links into /usr. */
const system: Record<string, Node> = {
  "/": dir,
  "/usr": dir,
  "/usr/bin": dir,
  "/usr/sbin": dir,
  "/usr/local": dir,
  "/usr/local/bin": dir,
  "/usr/local/sbin": dir,
  "/bin": { target: "usr/bin" },
  "/sbin": { target: "usr/sbin" },
  "/usr/bin/bwrap": {},
  "/usr/bin/sh": { target: "dash" },
  "/usr/bin/dash": {},
  "/usr/bin/socat": {},
  "/usr/bin/nsenter": {},
  "/usr/bin/setpriv": {},
};

describe("locateTool", () => {
  it("finds a root-owned tool in a system directory and records everything its resolution depends on", () => {
    const r = locateTool("sh", fakeFs(system));
    expect(r).toEqual({
      ok: true,
      tool: {
        name: "sh",
        path: "/usr/bin/sh",
        real: "/usr/bin/dash",
        depends: ["/", "/usr", "/usr/bin", "/usr/bin/dash"],
      },
    });
  });

  it("never looks outside the system directories: a tool only in the project's node_modules/.bin is missing", () => {
    const fs = fakeFs({
      ...system,
      "/usr/bin/bwrap": undefined as never,
      "/p": dir,
      "/p/node_modules": dir,
      "/p/node_modules/.bin": dir,
      "/p/node_modules/.bin/bwrap": {},
    });
    const r = locateTool("bwrap", { ...fs, lstat: (p) => (p === "/usr/bin/bwrap" ? undefined : fs.lstat(p)) });
    expect(r).toEqual({ ok: false, name: "bwrap", rejected: [] });
  });

  it("skips a candidate in a directory owned by a user, or writable by group or others, and takes the next", () => {
    for (const local of [
      { kind: "dir", uid: 1000 },
      { kind: "dir", mode: 0o775 },
      { kind: "dir", mode: 0o1777 },
    ] as const) {
      const r = locateTool("bwrap", fakeFs({ ...system, "/usr/local/bin": local, "/usr/local/bin/bwrap": {} }));
      expect(r.ok && r.tool.path, JSON.stringify(local)).toBe("/usr/bin/bwrap");
    }
  });

  it("refuses a file owned by a user, writable by group or others, or not executable", () => {
    for (const [node, why] of [
      [{ uid: 1000 }, "owned by uid 1000"],
      [{ mode: 0o775 }, "writable by its group"],
      [{ mode: 0o757 }, "writable by others"],
      [{ mode: 0o644 }, "not executable"],
    ] as const) {
      const r = locateTool("socat", fakeFs({ ...system, "/usr/bin/socat": node }));
      expect(r.ok, why).toBe(false);
      expect(!r.ok && r.rejected.join(" "), why).toContain(why);
    }
  });

  it("follows every symlink hop and refuses one that passes through a directory a user controls", () => {
    const viaHome = fakeFs({
      ...system,
      "/usr/bin/bwrap": { target: "/home/u/bin/bwrap" },
      "/home": dir,
      "/home/u": { kind: "dir", uid: 1000 },
      "/home/u/bin": { kind: "dir", uid: 1000 },
      "/home/u/bin/bwrap": { uid: 1000 },
    });
    const r = locateTool("bwrap", viaHome);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.rejected.join(" ")).toContain("/home/u is owned by uid 1000");
    // Through a root-owned directory that others may write: a hop there could be re-pointed.
    const viaOpt = fakeFs({
      ...system,
      "/usr/bin/bwrap": { target: "/opt/x/link" },
      "/opt": dir,
      "/opt/x": { kind: "dir", mode: 0o777 },
      "/opt/x/link": { target: "/usr/local/bin/real" },
      "/usr/local/bin/real": {},
    });
    expect(locateTool("bwrap", viaOpt).ok).toBe(false);
    // A loop is refused, not followed forever.
    expect(
      resolveTrusted("/usr/bin/a", fakeFs({ ...system, "/usr/bin/a": { target: "b" }, "/usr/bin/b": { target: "a" } }))
        .kind,
    ).toBe("untrusted");
  });
});

/** srt's helpers as a checkout without srt-bridge has them: the socat fallback is looked up. */
const noBridge = (name: string): string | undefined =>
  name === "srt-bridge" ? undefined : `/opt/srt/dist/native/${name}`;
const allNative = (name: string): string | undefined => `/opt/srt/dist/native/${name}`;

describe("findTools", () => {
  it("a missing tool: which, where srt looked, why PATH is not used, the candidates it refused, and how to install it", () => {
    const fs = fakeFs({ ...system, "/usr/bin/socat": undefined as never, "/usr/local/bin/socat": { uid: 1000 } });
    const r = findTools(
      true,
      { ...fs, lstat: (p) => (p === "/usr/bin/socat" ? undefined : fs.lstat(p)) },
      false,
      {},
      noBridge,
    );
    expect(r.ok).toBe(false);
    const message = !r.ok ? r.message : "";
    expect(message).toContain("socat not found in /usr/local/sbin, /usr/local/bin, /usr/sbin, /usr/bin, /sbin, /bin");
    expect(message).toContain("never from PATH");
    expect(message).toContain("ignored: /usr/local/bin/socat (/usr/local/bin/socat is owned by uid 1000, not root)");
    expect(message).toContain("apt-get install socat");
    expect(message).not.toContain("bwrap");
  });

  it("without network access only bwrap, the watchdog's sh and srt's own supervisor are needed", () => {
    const r = findTools(
      false,
      fakeFs({ "/": dir, "/usr": dir, "/usr/bin": dir, "/usr/bin/bwrap": {}, "/usr/bin/sh": {} }),
      false,
      {},
      (name) => `/opt/srt/dist/native/${name}`,
    );
    expect(r.ok && r.tools).toEqual({
      bwrap: "/usr/bin/bwrap",
      sh: "/usr/bin/sh",
      supervisor: "/opt/srt/dist/native/srt-supervise",
    });
  });

  it("a missing supervisor refuses the run (SRT510) with how to build it", () => {
    const r = findTools(
      false,
      fakeFs({ "/": dir, "/usr": dir, "/usr/bin": dir, "/usr/bin/bwrap": {}, "/usr/bin/sh": {} }),
      false,
      {},
      () => undefined,
    );
    expect(r).toEqual({ ok: false, code: "SRT510", message: expect.stringMatching(/srt-supervise.*npm run build/) });
  });

  it("with network access and without srt-bridge the socat bridge's programs come as one group, each from where it was found", () => {
    const r = findTools(true, fakeFs(system), false, {}, noBridge);
    expect(r.ok && r.tools.bridge).toEqual({
      setpriv: expect.stringMatching(/\/setpriv$/),
      nsenter: expect.stringMatching(/\/nsenter$/),
      socat: expect.stringMatching(/\/socat$/),
    });
  });

  it("with srt-bridge built, network access needs neither socat nor nsenter nor setpriv", () => {
    const fs = fakeFs(system);
    const gone = new Set(["/usr/bin/socat", "/usr/bin/nsenter", "/usr/bin/setpriv"]);
    const r = findTools(true, { ...fs, lstat: (p) => (gone.has(p) ? undefined : fs.lstat(p)) }, false, {}, allNative);
    expect(r.ok && r.tools.bridge).toEqual({ native: "/opt/srt/dist/native/srt-bridge" });
    expect(r.ok && r.found.map((t) => t.name)).toEqual(["bwrap", "sh"]);
    // Without it, the same machine refuses the run: never a network run without its bridge.
    const without = findTools(
      true,
      { ...fs, lstat: (p) => (gone.has(p) ? undefined : fs.lstat(p)) },
      false,
      {},
      noBridge,
    );
    expect(!without.ok && without.message).toContain("srt-bridge is not built");
  });

  it("bwrapPath / socatPath from the settings replace the look-up, under the same trust rule, with no fallback", () => {
    const fs = fakeFs({
      ...system,
      "/opt": dir,
      "/opt/bw": dir,
      "/opt/bw/bwrap": {},
      "/home": dir,
      "/home/u": { kind: "dir", uid: 1000 },
      "/home/u/socat": { uid: 1000 },
    });
    const ok = findTools(true, fs, false, { bwrap: "/opt/bw/bwrap" });
    expect(ok.ok && ok.tools.bwrap).toBe("/opt/bw/bwrap");
    expect(ok.ok && ok.found.find((t) => t.name === "bwrap")?.depends).toEqual([
      "/",
      "/opt",
      "/opt/bw",
      "/opt/bw/bwrap",
    ]);
    // A user's own copy is refused although /usr/bin/socat exists: the settings chose it, srt does not look further.
    const user = findTools(true, fs, false, { socat: "/home/u/socat" }, noBridge);
    expect(user.ok).toBe(false);
    expect(!user.ok && user.message).toBe(
      "/home/u/socat (socatPath in the settings) is refused: /home/u is owned by uid 1000, not root; srt runs host programs only from files that nothing but root can change",
    );
    const missing = findTools(false, fs, false, { bwrap: "/opt/none/bwrap" });
    expect(!missing.ok && missing.message).toMatch(/^\/opt\/none\/bwrap \(bwrapPath in the settings\) does not exist/);
    // socatPath without network access is not needed, so not checked.
    expect(findTools(false, fs, false, { socat: "/home/u/socat" }).ok).toBe(true);
  });

  it("doctor reports where each tool was found, and a missing bwrap as a failure naming the directories", async () => {
    const fs = fakeFs(system);
    const withBwrap = await preflight(
      { platform: "linux", arch: "x64", uid: 0 },
      { ...fs, lstat: (p) => (p === "/usr/bin/bwrap" ? undefined : fs.lstat(p)) },
    );
    const bw = withBwrap.find((c) => c.name === "bubblewrap")!;
    expect(bw.ok).toBe(false);
    expect(bw.detail).toContain("not found in /usr/local/sbin");
    expect(withBwrap.find((c) => c.name === "socat")?.detail).toBe("/usr/bin/socat");
    expect(withBwrap.find((c) => c.name === "sh")?.detail).toContain("/usr/bin/sh -> /usr/bin/dash");
  });
});

describe("doctor's diagnosis when bwrap cannot start a sandbox", () => {
  const sysctls = (values: Readonly<Record<string, string>>) => (path: string) => values[path];
  const refused = "bwrap: setting up uid map: Permission denied";

  it("names the setting that keeps unprivileged users from a user namespace, and how to change it", () => {
    expect(bwrapFix(1000, refused, sysctls({ "/proc/sys/kernel/apparmor_restrict_unprivileged_userns": "1" }))).toMatch(
      /^Ubuntu's AppArmor restricts unprivileged user namespaces/,
    );
    expect(bwrapFix(1000, refused, sysctls({ "/proc/sys/kernel/unprivileged_userns_clone": "0" }))).toBe(
      "unprivileged user namespaces are disabled: sysctl -w kernel.unprivileged_userns_clone=1",
    );
    expect(bwrapFix(1000, refused, sysctls({ "/proc/sys/user/max_user_namespaces": "0" }))).toBe(
      "user namespaces are disabled: sysctl -w user.max_user_namespaces=15000",
    );
  });

  it("as root those settings do not matter; a hidden /proc means a container; else bwrap's message says it", () => {
    const all = sysctls({
      "/proc/sys/kernel/apparmor_restrict_unprivileged_userns": "1",
      "/proc/sys/kernel/unprivileged_userns_clone": "0",
    });
    expect(bwrapFix(0, "bwrap: Can't mount proc on /newroot/proc: Operation not permitted", all)).toMatch(
      /^inside a container that hides \/proc: set enableWeakerNestedSandbox/,
    );
    expect(bwrapFix(0, refused, all)).toBe("see bwrap's message");
  });
});

describe("toolsExposed", () => {
  const found = (() => {
    const r = findTools(true, fakeFs(system));
    if (!r.ok) throw new Error(r.message);
    return r.found;
  })();
  const stateDir = "/run/user/0/srt";
  const writes = (...roots: string[]) =>
    hostWritesOf(
      roots.map(
        (path) =>
          ({ op: "bind", path, writable: true, why: "write-allow", origin: ["/filesystem/allowWrite/0"] }) as const,
      ),
      stateDir,
    );

  it("a project directory is fine", () => {
    expect(toolsExposed(found, writes("/home/u/proj", "/tmp/x"))).toBeUndefined();
  });

  it("a writable root over a tool, a directory on its way, or a system directory searched earlier is refused with the fix", () => {
    expect(toolsExposed(found, writes("/usr/bin"))).toContain("/usr/bin");
    expect(toolsExposed(found, writes("/usr"))).toContain("Remove /usr from allowWrite");
    // Nothing there yet, but a bwrap planted here would be found before /usr/bin/bwrap next time.
    expect(toolsExposed(found, writes("/usr/local/sbin"))).toContain(
      "/usr/local/sbin (where srt looks for host programs)",
    );
    expect(toolsExposed(found, writes("/"))).toBeDefined();
  });

  it("a tool bound read-only inside a writable root is still refused: the directories on its way are writable", () => {
    // Conservative: the command cannot replace a mount point, but srt does not reason about which entries are mounts.
    const w = hostWritesOf(
      [
        { op: "bind", path: "/srv", writable: true, why: "write-allow", origin: ["/o"] },
        { op: "bind", path: "/srv/ro", writable: false, why: "write-deny", origin: ["/o"] },
      ],
      stateDir,
    );
    const r = findTools(
      false,
      fakeFs({
        "/": dir,
        "/srv": dir,
        "/srv/ro": dir,
        "/usr": dir,
        "/usr/bin": dir,
        "/usr/bin/bwrap": { target: "/srv/ro/bwrap" },
        "/srv/ro/bwrap": {},
        "/usr/bin/sh": {},
      }),
    );
    expect(r.ok && toolsExposed(r.found, w)).toContain(
      "/srv (on the way to /srv/ro/bwrap, the bwrap srt runs on the host) lies in /srv",
    );
    const open = hostWritesOf(
      [{ op: "bind", path: "/srv/x", writable: true, why: "write-allow", origin: ["/o"] }],
      stateDir,
    );
    expect(r.ok && toolsExposed(r.found, open)).toBeUndefined();
  });
});
