/**
 * The closest thing to a Kubernetes node here: the pod srt emits, run by runc
 * the way a kubelet would set it up — the pod's volumes as host directories
 * (emptyDir, a ConfigMap's files), each volumeMount a bind (subPath created
 * when missing, as the kubelet does), the container's user, no capabilities,
 * no-new-privileges, a read-only root, and the emitted seccomp profile file as
 * written. Then a hostile command tries what it must not: write protected
 * names, read hidden files, rename a pinned directory away, open unix sockets,
 * make a user namespace, use io_uring, reach the network.
 *
 * Root only: a node's runtime runs as root, so that is what the pod gets.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Pod } from "kubernetes-types/core/v1.js";
import { compileSettings } from "../../src/compiler/index.js";
import { defaultK8sOptions, lowerK8s, renderK8sSeccomp } from "../../src/backends/k8s/index.js";
import { createFixtureHost } from "../support/fixture-host.js";
import { lacking } from "../support/requirements.js";

const hasRunc = spawnSync("runc", ["--version"]).status === 0;
const isRoot = process.getuid?.() === 0;
const arch = process.arch === "arm64" ? "aarch64" : "x86_64";

const probe = String.raw`
import ctypes, errno, json, os, socket
res = {}
def attempt(name, f):
    try:
        f(); res[name] = "ok"
    except OSError as e:
        res[name] = errno.errorcode.get(e.errno, str(e.errno))
def write(p):
    with open(p, "w") as f: f.write("x")
libc = ctypes.CDLL(None, use_errno=True)
def call(name, *args):
    if getattr(libc, name)(*args) == -1:
        e = ctypes.get_errno(); raise OSError(e, os.strerror(e))
attempt("write-root", lambda: write("/home/u/proj/work.txt"))
attempt("write-hooks", lambda: write("/home/u/proj/.git/hooks/pre-commit"))
attempt("write-npmrc", lambda: write("/home/u/proj/.npmrc"))
attempt("write-locked", lambda: write("/home/u/proj/locked/x"))
attempt("write-etc", lambda: write("/etc/srt-pod-probe"))
attempt("write-tmp", lambda: write("/tmp/x"))
attempt("read-secret", lambda: open("/home/u/proj/secret.txt").read())
res["ssh-entries"] = os.listdir("/home/u/.ssh")
attempt("mv-git", lambda: os.rename("/home/u/proj/.git", "/home/u/proj/moved"))
attempt("unix-socket", lambda: socket.socket(socket.AF_UNIX))
attempt("unshare-user", lambda: call("unshare", 0x10000000))
attempt("io-uring", lambda: call("syscall", 425, 1, ctypes.c_void_p(0)))
attempt("connect-out", lambda: socket.create_connection(("192.0.2.1", 80), timeout=2))
res["uid"] = os.getuid()
print(json.dumps(res))
`;

describe.skipIf(lacking(!hasRunc || !isRoot, "runc as root (apt-get install runc)"))("the k8s pod under runc", () => {
  const work = mkdtempSync(join(tmpdir(), "srt-k8s-runc-"));
  afterAll(() => {
    spawnSync("runc", ["delete", "--force", "srt-k8s-probe"]);
    rmSync(work, { recursive: true, force: true });
  });

  const compiled = compileSettings({
    text: JSON.stringify({
      filesystem: {
        allowWrite: ["/home/u/proj"],
        denyRead: ["/home/u/.ssh", "/home/u/proj/secret.txt"],
        denyWrite: ["/home/u/proj/locked"],
      },
    }),
    file: "/etc/srt.json",
    host: createFixtureHost(
      { dirs: ["/home/u/proj/.git/hooks", "/home/u/proj/locked", "/home/u/.ssh"], files: ["/home/u/proj/secret.txt"] },
      { cwd: "/home/u/proj", home: "/home/u" },
    ),
    target: "linux",
  });
  const artifact = lowerK8s(compiled.policy!, defaultK8sOptions("probe"), arch);
  const pod = artifact.objects.find((o) => (o as Pod).kind === "Pod") as Pod;
  const files = artifact.objects.filter((o) => (o as { kind: string }).kind === "ConfigMap") as {
    metadata: { name: string };
    data: Record<string, string>;
  }[];

  /** The kubelet's part: a directory per volume, the container's mounts as binds. */
  function bundle(withSeccomp: boolean): string {
    const dir = mkdtempSync(join(work, "bundle-"));
    const root = join(dir, "rootfs");
    mkdirSync(root);
    // The "image": the host's /usr and /etc read-only through a skeleton root (CONTAINERS.md).
    for (const d of ["usr", "etc", "home", "tmp", "proc", "dev", "sys"]) mkdirSync(join(root, d));
    chmodSync(join(root, "tmp"), 0o1777);
    for (const l of ["bin", "lib", "lib64", "sbin"])
      if (existsSync(`/${l}`) && lstatSync(`/${l}`).isSymbolicLink())
        execFileSync("ln", ["-s", `usr/${l}`, join(root, l)]);
    const volumeDir = new Map<string, string>();
    for (const v of pod.spec!.volumes!) {
      const d = join(dir, "volumes", v.name);
      mkdirSync(d, { recursive: true });
      chmodSync(d, 0o777);
      if (v.configMap) {
        const cm = files.find((f) => f.metadata.name === v.configMap!.name)!;
        for (const item of v.configMap.items ?? []) {
          writeFileSync(join(d, item.path), cm.data[item.key] ?? "");
          chmodSync(join(d, item.path), item.mode ?? 0o644);
        }
      }
      volumeDir.set(v.name, d);
    }
    const c = pod.spec!.containers[0]!;
    const mounts: object[] = [
      { destination: "/proc", type: "proc", source: "proc" },
      {
        destination: "/dev",
        type: "tmpfs",
        source: "tmpfs",
        options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
      },
      { destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"] },
      { destination: "/usr", type: "bind", source: "/usr", options: ["rbind", "rro", "nosuid", "nodev"] },
      { destination: "/etc", type: "bind", source: "/etc", options: ["rbind", "rro", "nosuid", "nodev"] },
      { destination: "/probe.py", type: "bind", source: join(dir, "probe.py"), options: ["bind", "ro"] },
    ];
    writeFileSync(join(dir, "probe.py"), probe);
    for (const m of c.volumeMounts!) {
      const base = volumeDir.get(m.name)!;
      const source = m.subPath === undefined ? base : join(base, m.subPath);
      if (!existsSync(source)) {
        mkdirSync(source, { recursive: true }); // a missing subPath becomes a directory, as the kubelet makes it
        chmodSync(source, 0o777);
      }
      mounts.push({ destination: m.mountPath, type: "bind", source, options: ["rbind", m.readOnly ? "ro" : "rw"] });
    }
    const sc = pod.spec!.securityContext!;
    const config = {
      ociVersion: "1.0.2",
      process: {
        terminal: false,
        user: { uid: sc.runAsUser, gid: sc.runAsGroup, additionalGids: [sc.fsGroup] },
        args: ["/usr/bin/python3", "/probe.py"],
        env: c.env!.map((e) => `${e.name}=${e.value ?? ""}`).concat("PATH=/usr/bin:/bin"),
        cwd: c.workingDir,
        capabilities: { bounding: [], effective: [], permitted: [], inheritable: [], ambient: [] },
        noNewPrivileges: c.securityContext!.allowPrivilegeEscalation === false,
      },
      root: { path: "rootfs", readonly: c.securityContext!.readOnlyRootFilesystem === true },
      hostname: "probe",
      mounts,
      linux: {
        namespaces: ["pid", "ipc", "uts", "mount", "network"].map((type) => ({ type })),
        maskedPaths: ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"],
        readonlyPaths: ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
        ...(withSeccomp ? { seccomp: JSON.parse(renderK8sSeccomp(artifact)) as object } : {}),
      },
    };
    writeFileSync(join(dir, "config.json"), JSON.stringify(config, null, 2));
    return dir;
  }

  function run(withSeccomp: boolean): Record<string, unknown> {
    const dir = bundle(withSeccomp);
    const r = spawnSync("runc", ["run", "--bundle", dir, "srt-k8s-probe"], { encoding: "utf8", timeout: 60_000 });
    spawnSync("runc", ["delete", "--force", "srt-k8s-probe"]);
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, unknown>;
  }

  it("holds what the policy says, as the pod's user, with the emitted seccomp profile", () => {
    const res = run(true);
    expect(res).toMatchObject({
      uid: 1000,
      "write-root": "ok",
      "write-tmp": "ok",
      "write-hooks": "EROFS",
      "write-npmrc": "EROFS",
      "write-locked": "EROFS",
      "write-etc": "EROFS",
      "read-secret": "EACCES",
      "ssh-entries": [],
      "mv-git": "EBUSY",
      "unix-socket": "EPERM",
      "unshare-user": "EPERM",
      "io-uring": "EPERM",
      "connect-out": "ENETUNREACH",
    });
  }, 90_000);

  it("the seccomp answers come from the profile: without it the same calls get through", () => {
    const res = run(false);
    expect(res["unix-socket"]).toBe("ok");
    expect(res["io-uring"]).not.toBe("EPERM");
    // The mounts still hold without it: they are the volumes', not the profile's.
    expect(res["write-hooks"]).toBe("EROFS");
  }, 90_000);

  it("leaves no container behind", () => {
    expect(spawnSync("runc", ["list", "-q"], { encoding: "utf8" }).stdout).not.toContain("srt-k8s-probe");
    expect(readdirSync(work).length).toBeGreaterThan(0);
  });
});
