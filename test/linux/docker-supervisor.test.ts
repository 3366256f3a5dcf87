/**
 * srt's supervisor (native/srt-supervise) in a Docker container, against a private dockerd
 * (test/support/dockerd.ts), as root (rootless Docker is not installed here): the supervisor
 * suites' key attacks, run by `srt --runtime docker`:
 *   - the command runs under one seccomp filter, srt's (Docker installs none of its own), with
 *     the supervisor as the container's first process, in srt's skeleton root and in a user's
 *     image (busybox, no libc: the supervisor is static);
 *   - protected names created deep in new and existing directories (open, mkdir, rename, a
 *     planted link) and a write-open of a protected file deeper than srt's search are refused,
 *     checked on the host, and reported in the summary and as --violations lines;
 *   - unix sockets are path-scoped: a listed one connects, another is refused and reported; the
 *     command cannot connect to srt's socket in the supervisor's place; bind() to a protected
 *     name deep in a new directory is refused;
 *   - fail closed: a supervisor that cannot install its filter, or cannot start at all, runs
 *     nothing (runDocker on a plan whose seccomp program the kernel refuses, or with a supervisor
 *     that is no program).
 */
import { chmodSync, existsSync, readFileSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../src/api/compile.js";
import { lowerOciPlan } from "../../src/backends/oci/index.js";
import { hostSeccompArch } from "../../src/runtime/host-arch.js";
import { hostRootEntries } from "../../src/runtime/oci/host-root.js";
import { runDocker } from "../../src/runtime/oci/docker.js";
import { findDockerTools } from "../../src/runtime/oci/tools.js";
import { locateStateDir } from "../../src/runtime/state-dir.js";
import { lacking } from "../support/requirements.js";
import { missingDocker, srtContainers, startPrivateDocker, type PrivateDocker } from "../support/dockerd.js";
import { report, srt, supported, skipReason, useBox, writeSettings, type Box } from "./support.js";

const deep = "a/b/c/d/e/f";
const python = ["/usr/bin/python3"].find((p) => existsSync(p));

/** Shell (python3): connect to $1, print what the peer said, or the error's errno name. */
const CONNECT = (path: string): string =>
  `${python} -c 'import socket,errno,sys
try:
  s=socket.socket(socket.AF_UNIX)
  s.connect(sys.argv[1]); print(s.recv(16).decode().strip() or "connected")
except OSError as e: print(errno.errorcode[e.errno])' ${path}`;

/** Shell builtins and cat only (the image's busybox has few applets). */
/** Shell (python3): binds a unix socket at each path; prints `<path>=ok|ERRNO`. */
const BIND = (...paths: string[]): string =>
  `${python} -c 'import errno,socket,sys
for p in sys.argv[1:]:
  s=socket.socket(socket.AF_UNIX)
  try:
    s.bind(p); print(p+"=ok")
  except OSError as e: print(p+"="+errno.errorcode[e.errno])' ${paths.join(" ")}`;

const FILTERS = [
  "while read k v; do case $k in Seccomp:) echo mode=$v;; Seccomp_filters:) echo filters=$v;; esac; done < /proc/self/status",
  "echo pid1=$(cat /proc/1/comm)",
].join("\n");

describe.skipIf(lacking(!supported || missingDocker !== undefined, missingDocker ?? skipReason))(
  "srt's supervisor under Docker (a private dockerd)",
  () => {
    let engine: PrivateDocker;
    let env: NodeJS.ProcessEnv;
    beforeAll(async () => {
      engine = await startPrivateDocker();
      env = { DOCKER_HOST: engine.host };
      // Waits for another test file's private engine first (test/support/dockerd.ts).
    }, 300_000);
    afterAll(async () => engine?.stop(), 60_000);

    const docker = (box: Box, args: readonly string[], script: string) =>
      srt(box, ["--runtime", "docker", "--settings", box.settings, ...args, "-c", script], { env, timeoutMs: 60_000 });

    it("one filter, srt's, installed by the supervisor as the container's first process; in an image too", async (ctx) => {
      const box = useBox(ctx, "root");
      const out = await docker(box, ["-q"], FILTERS);
      expect(out.status, out.stderr).toBe(0);
      expect(report(out)).toEqual({ filters: "1", mode: "2", pid1: ".srt-supervise" });
      // busybox as ubuntu:22.04: no libc; the static supervisor runs there all the same.
      const image = await docker(box, ["-q", "--docker-image", "ubuntu:22.04"], FILTERS);
      expect(image.status, image.stderr).toBe(0);
      expect(report(image)).toEqual({
        filters: "1",
        mode: "2",
        pid1: ".srt-supervise",
      });
      expect(srtContainers(engine)).toEqual([]);
    });

    it("protected names made deep and a deep protected file opened for writing are refused and reported", async (ctx) => {
      const box = useBox(ctx, "root", { [`work/${deep}/.npmrc`]: "orig", "work/e1/e2/e3/keep.txt": "v1" });
      writeSettings(box, { mandatoryDenySearchDepth: 2 });
      const file = join(box.outside, "violations.jsonl");
      const out = await docker(
        box,
        ["--violations", file],
        [
          "mkdir -p n1/n2/n3/n4",
          "true > n1/n2/n3/n4/.mcp.json 2>/dev/null; echo mcp=$?",
          "mkdir -p e1/e2/e3/.claude/sub 2>/dev/null; echo claude=$?",
          "true > n1/n2/tmp && mv n1/n2/tmp n1/n2/.yarnrc 2>/dev/null; echo rename=$?",
          "ln -s .npmrc e1/e2/innocent && true > e1/e2/innocent 2>/dev/null; echo link=$?",
          `truncate -c -s 0 ${deep}/.npmrc 2>/dev/null; echo truncate=$?`,
          "echo x > n1/n2/n3/n4/neighbour.txt && echo neighbour=0",
        ].join("\n"),
      );
      expect(out.status, out.stderr).toBe(0);
      const r = report(out);
      for (const k of ["mcp", "claude", "rename", "link", "truncate"]) expect(r[k], k).toMatch(/^[1-9]/);
      expect(r["neighbour"]).toBe("0");
      // On the host: nothing protected was made, the protected file is as it was.
      for (const p of ["n1/n2/n3/n4/.mcp.json", "e1/e2/e3/.claude", "n1/n2/.yarnrc", "e1/e2/.npmrc"])
        expect(existsSync(join(box.work, p)), p).toBe(false);
      expect(readFileSync(join(box.work, deep, ".npmrc"), "utf8")).toBe("orig");
      expect(readFileSync(join(box.work, "n1/n2/n3/n4/neighbour.txt"), "utf8")).toBe("x\n");
      expect(out.stderr).toMatch(/srt: refused \d+ writes: /);
      const lines = readFileSync(file, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, string>);
      const by = (p: string): Record<string, string> | undefined => lines.find((l) => l["path"] === join(box.work, p));
      expect(by("e1/e2/e3/.claude")).toMatchObject({
        operation: "mkdir",
        errno: "EACCES",
        rule: "mandatory:agent-config",
      });
      expect(by(`${deep}/.npmrc`)).toMatchObject({
        operation: "write",
        errno: "EACCES",
        rule: "mandatory:tool-config",
      });
      expect(by("n1/n2/n3/n4/.mcp.json")).toMatchObject({
        operation: "create",
        errno: "EACCES",
        rule: "mandatory:agent-config",
      });
    });

    it.skipIf(python === undefined)(
      "unix sockets by path: a listed one connects, another is refused and reported, srt's own is closed",
      async (ctx) => {
        const box = useBox(ctx, "root");
        const listed = join(box.work, "listed.sock");
        const other = join(box.work, "docker.sock");
        const servers: Server[] = [];
        for (const p of [listed, other]) {
          const s = createServer((c) => c.end("pong\n"));
          await new Promise<void>((r) => s.listen(p, r));
          servers.push(s);
        }
        try {
          writeSettings(box, { network: { allowUnixSockets: [listed] } });
          const out = await docker(
            box,
            [],
            [`echo listed=$(${CONNECT(listed)})`, `echo other=$(${CONNECT(other)})`].join("\n"),
          );
          expect(out.status, out.stderr).toBe(0);
          expect(report(out)).toEqual({ listed: "pong", other: "EACCES" });
          expect(out.stderr).toContain(`"${other}" (connect: /network/allowUnixSockets)`);
          // Every socket allowed: srt's socket for the supervisor took its one connection and listens no more;
          // bind() to a protected name deep in a new directory is refused all the same.
          writeSettings(box, { network: { allowAllUnixSockets: true } });
          const own = await docker(
            box,
            ["--violations", join(box.outside, "v.jsonl")],
            [
              `echo own=$(${CONNECT("/.srt-supervise.sock")})`,
              "mkdir -p n1/n2/n3",
              BIND("n1/n2/n3/.npmrc", "ok.sock"),
            ].join("\n"),
          );
          expect(own.status, own.stderr).toBe(0);
          expect(report(own)).toEqual({ own: "ECONNREFUSED", "n1/n2/n3/.npmrc": "EACCES", "ok.sock": "ok" });
          expect(existsSync(join(box.work, "n1/n2/n3/.npmrc"))).toBe(false);
          expect(readFileSync(join(box.outside, "v.jsonl"), "utf8")).toContain('"operation":"bind"');
        } finally {
          for (const s of servers) s.close();
        }
      },
    );

    describe("fail closed", () => {
      const runWith = async (
        box: Box,
        change: { seccomp?: string; supervisor?: string; beforeRun?: () => void; image?: string },
      ): Promise<{ result: Awaited<ReturnType<typeof runDocker>["result"]>; ran: boolean }> => {
        const settings = JSON.parse(readFileSync(box.settings, "utf8")) as object;
        const compiled = compile(settings, { cwd: box.work, home: box.home, target: "linux" });
        expect(compiled.ir, JSON.stringify(compiled.diagnostics)).toBeDefined();
        const plan = lowerOciPlan(compiled.ir!, hostSeccompArch(), hostRootEntries());
        const found = findDockerTools("docker", false);
        if (!found.ok) throw new Error(found.message);
        const marker = join(box.work, "ran");
        change.beforeRun?.();
        const running = runDocker({
          plan:
            change.seccomp === undefined
              ? plan
              : { ...plan, seccomp: { ...plan.seccomp, base64: change.seccomp, instructions: 1 } },
          command: ["/bin/sh", "-c", `echo ran > ${marker}`],
          env: { PATH: "/usr/bin:/bin", ...env },
          tools: change.supervisor === undefined ? found.tools : { ...found.tools, supervisor: change.supervisor },
          uid: 0,
          gid: 0,
          stateDir: locateStateDir({}, 0),
          docker: {
            networkMode: "none",
            autoRemove: true,
            ...(change.image === undefined ? {} : { image: change.image }),
          },
        });
        const result = await running.result;
        return { result, ran: existsSync(marker) };
      };

      it("a seccomp program the kernel refuses: the supervisor says why, the command never runs", async (ctx) => {
        const box = useBox(ctx, "root");
        // One instruction with an opcode BPF does not have: seccomp(2) answers EINVAL.
        const bad = Buffer.from([0xff, 0xff, 0, 0, 0, 0, 0, 0]).toString("base64");
        const { result, ran } = await runWith(box, { seccomp: bad });
        expect(ran).toBe(false);
        expect(result).toMatchObject({ kind: "failed", code: "SRT511" });
        expect(JSON.stringify(result)).toMatch(/installing the seccomp filter with a listener: Invalid argument/);
        // The control: the same run with the plan's own program runs the command.
        const control = await runWith(box, {});
        expect(control.result).toMatchObject({ kind: "exited", status: 0 });
        expect(control.ran).toBe(true);
        expect(srtContainers(engine)).toEqual([]);
      });

      it.for([
        ["srt's skeleton root", undefined],
        ["a user's image", "ubuntu:22.04"],
      ] as const)(
        "a writable root replaced by a link since the plan was compiled: nothing runs (%s)",
        async ([, image], ctx) => {
          // Another sandbox (the parent writable) swaps the root for a link; the daemon binds where it
          // leads. In a user's image no link shows inside (the destination is the image's directory):
          // srt's link-free walk finds it on the host, and the supervisor compares the directory
          // mounted with the one srt found (runtime/linux/root-identity.ts, roots.c).
          const box = useBox(ctx, "root");
          const { result, ran } = await runWith(box, {
            ...(image === undefined ? {} : { image }),
            beforeRun: () => {
              renameSync(box.work, `${box.work}.real`);
              symlinkSync("outside", box.work);
            },
          });
          expect(result).toMatchObject({ kind: "failed", code: "SRT552" });
          expect(ran).toBe(false);
          expect(existsSync(join(box.outside, "ran"))).toBe(false);
          // Put back for the box's own clean-up.
          unlinkSync(box.work);
          renameSync(`${box.work}.real`, box.work);
          expect(srtContainers(engine)).toEqual([]);
        },
      );

      it("a supervisor that cannot start: nothing runs", async (ctx) => {
        const box = useBox(ctx, "root");
        const notAProgram = join(box.outside, "srt-supervise");
        writeFileSync(notAProgram, "#!/nonexistent/interpreter\n");
        chmodSync(notAProgram, 0o755);
        const { result, ran } = await runWith(box, { supervisor: notAProgram });
        expect(ran).toBe(false);
        // The engine's failure (its error on stderr), not SRT511's "a kernel feature is missing".
        expect(result).toMatchObject({ kind: "failed", code: "SRT561" });
        expect(srtContainers(engine)).toEqual([]);
      });
    });
  },
);
