/**
 * srt's own state on the host — the per-user state directory with every run's
 * private directory and the placeholder registry, and what bwrap is handed —
 * cannot be reached from any sandbox, also when the policy makes the temp base
 * writable (as a working directory in /tmp does). Each test is the attack: a
 * command that reads another run's TMPDIR, rewrites or empties the registry,
 * moves the state directory away, or rewrites bwrap's argument file; plus the
 * registry's own guarantees (forged records, per-path reference counts).
 */
import {
  chmodSync,
  chownSync,
  existsSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  eventually,
  missingTestUser,
  read,
  report,
  runners,
  sh,
  srt,
  startSrt,
  supported,
  tree,
  useBox,
  writeSettings,
  type Box,
  skipReason,
} from "./support.js";
import { lacking, unavailable } from "../support/requirements.js";

const stateOf = (b: Box): string => join(realpathSync(b.tmp), `srt-${b.uid}`);
/** Runs that have registered (their holds are written). */
const registered = (b: Box): number =>
  readdirSync(join(stateOf(b), "runs")).filter((id) => existsSync(join(stateOf(b), "runs", id, "holds"))).length;

/** A run that reports its TMPDIR, runs `setup`, then waits until `release` appears in the box's work dir. */
async function longRun(b: Box, setup = ":", o: { cwd?: string } = {}) {
  const run = startSrt(
    b,
    [
      "--settings",
      b.settings,
      "-c",
      `${setup}; echo tmp=$TMPDIR; while [ ! -e ${join(b.work, "release")} ]; do sleep 0.05; done; echo released=yes`,
    ],
    o,
  );
  let stdout = "";
  run.child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
  if (!(await eventually(() => /tmp=\S+\n/.test(stdout), 10_000)))
    throw new Error(`the long run never started: ${stdout}`);
  const tmp = /tmp=(\S+)\n/.exec(stdout)![1]!;
  return {
    tmp,
    async release() {
      writeFileSync(join(b.work, "release"), "");
      return run.done;
    },
  };
}

/** Each probe prints name=ok when the forbidden thing worked, name=refused otherwise. */
const probe = (name: string, cmd: string): string =>
  `if (${cmd}) >/dev/null 2>&1; then echo ${name}=ok; else echo ${name}=refused; fi`;

describe.skipIf(lacking(!supported, skipReason))("srt's host state", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");

  describe.each(runners)("as %s", (runner) => {
    // The temp base writable: directly, and through its parent (then its directory chain must be pinned).
    it.concurrent.for([
      ["the temp dir", (b: Box) => [".", b.tmp]],
      ["the temp dir's parent", (b: Box) => [b.root]],
    ] as const)(
      "with %s writable, a command cannot see, read, write, move or remove the state dir, the registry or a concurrent run's TMPDIR",
      async ([, writable], ctx) => {
        const b = useBox(ctx, runner);
        writeSettings(b, { filesystem: { allowWrite: writable(b) } });
        const state = stateOf(b);
        const a = await longRun(b, "echo secret > $TMPDIR/secret");
        // Not vacuous: the other run's secret and the registry exist on the host right now.
        expect(read(join(a.tmp, "secret"))).toBe("secret\n");
        const registry = join(state, "placeholders");
        const records = read(registry);
        expect(records).toMatch(/\.npmrc/);
        const runsBefore = readdirSync(join(state, "runs")).sort();

        const script = [
          `S=${state}; A=${a.tmp}`,
          `echo listing=$(find "$S" -mindepth 1 | grep -v "^$TMPDIR/." | sort | tr '\\n' ' ')`,
          `echo own=$TMPDIR`,
          probe("a_read", `cat "$A/secret"`),
          probe("a_list", `ls "$A" | grep -q secret`),
          probe("a_write", `echo x > "$A/planted"`),
          probe("registry_read", `cat "$S/placeholders"`),
          probe("registry_write", `: > "$S/placeholders"`),
          probe("state_create", `: > "$S/lock"`),
          probe("state_rename", `mv "$S" "$S.moved"`),
          probe("state_remove", `rm -rf "$S" && [ ! -e "$S" ]`),
          probe("runs_rename", `mv "$S/runs" "$S/runs.moved"`),
          probe("tmp_rename", `mv ${b.tmp} ${b.tmp}.moved`),
          probe("own_tmp", `echo mine > "$TMPDIR/mine"`),
        ].join("\n");
        const out = await sh(b, script);
        expect(out.status, out.stderr).toBe(0);
        const r = report(out);
        const own = r["own"]!;
        const ownId = own.slice(`${state}/runs/`.length).split("/")[0];
        // Only the way down to its own TMPDIR is there: no other run, no registry, no lock.
        expect(r["listing"]!.trim().split(" ")).toEqual([
          `${state}/runs`,
          `${state}/runs/${ownId}`,
          `${state}/runs/${ownId}/tmp`,
        ]);
        expect(r).toMatchObject({
          a_read: "refused",
          a_list: "refused",
          a_write: "refused",
          registry_read: "refused",
          registry_write: "refused",
          state_create: "refused",
          state_rename: "refused",
          state_remove: "refused",
          runs_rename: "refused",
          tmp_rename: "refused",
          own_tmp: "ok",
        });
        // And on the host: all still where srt left it.
        expect(read(join(a.tmp, "secret"))).toBe("secret\n");
        expect(existsSync(join(a.tmp, "planted"))).toBe(false);
        expect(read(registry)).toBe(records);
        expect(existsSync(`${b.tmp}.moved`) || existsSync(`${state}.moved`)).toBe(false);
        expect(readdirSync(join(state, "runs")).sort()).toEqual(runsBefore);
        const end = await a.release();
        expect(report(end)["released"], end.stderr).toBe("yes");
      },
    );

    /** A command's attempts on a file srt keeps in its state directory (dir/file) and trusts next time. */
    const cacheProbes = (dir: string, file: string, suffix: string): string =>
      [
        `C=${dir}; F=${join(dir, file)}`,
        probe("read", `cat "$F"`),
        probe("list", `ls "$C" | grep -q ${suffix}`),
        probe("write", `echo x >> "$F"`),
        probe("plant", `echo x > "$C/planted${suffix}"`),
        probe("replace", `mkdir -p /tmp/x && : > /tmp/x/f && mv /tmp/x/f "$F"`),
        probe("rename", `mv "$C" "$C.moved"`),
        probe("dir_plant", `mkdir -p "$C.new" && mv "$C.new" "$C"`),
      ].join("\n");
    const allRefused = Object.fromEntries(
      ["read", "list", "write", "plant", "replace", "rename", "dir_plant"].map((k) => [k, "refused"]),
    );

    // src/runtime/code-cache.ts: V8's code cache of srt's CLI is code srt runs on the host next time.
    it.concurrent(
      "with the temp dir writable, a command cannot read, replace or plant srt's code cache, which the next srt uses",
      async (ctx) => {
        const b = useBox(ctx, runner);
        writeSettings(b, { filesystem: { allowWrite: [".", b.tmp] } });
        const state = stateOf(b);
        const first = await sh(b, "true", { env: { SRT_DEBUG: "1" } });
        expect(first.stderr).toContain("srt: code cache (run): none");
        const dir = join(state, "code-cache");
        const [cache] = readdirSync(dir);
        expect(cache, "the first run wrote a cache").toMatch(/\.bin$/);
        const bytes = readFileSync(join(dir, cache!));
        const out = await sh(b, cacheProbes(dir, cache!, ".bin"), { env: { SRT_DEBUG: "1" } });
        expect(out.status, out.stderr).toBe(0);
        // The second srt took the cache the first one wrote.
        expect(out.stderr).toContain("srt: code cache (run): used");
        expect(report(out)).toEqual(allRefused);
        expect(readdirSync(dir)).toEqual([cache]);
        expect(readFileSync(join(dir, cache!)).equals(bytes)).toBe(true);
      },
    );

    // src/runtime/compile-memo.ts: a memo decides the next run's policy without compiling it.
    it.concurrent(
      "with the temp dir writable, a command cannot read, replace or plant srt's compile memo, which the next srt uses",
      async (ctx) => {
        const b = useBox(ctx, runner);
        writeSettings(b, { filesystem: { allowWrite: [".", b.tmp] } });
        const state = stateOf(b);
        // The first run makes the state directory, which changes the writable temp dir's listing,
        // so the second compiles again and keeps its compile, which the runs from the third on take.
        for (let i = 0; i < 3; i++) expect((await sh(b, "true")).status).toBe(0);
        const dir = join(state, "compile-memo");
        const [memo] = readdirSync(dir);
        expect(memo, "the second run kept a memo").toMatch(/^[0-9a-f]{8}\.json$/);
        const out = await sh(b, cacheProbes(dir, memo!, ".json"), { env: { SRT_DEBUG: "1" } });
        expect(out.status, out.stderr).toBe(0);
        // The fourth srt took the memo kept before it.
        expect(out.stderr).toMatch(/srt: compiled .* ms: reused/);
        expect(report(out)).toEqual(allRefused);
        expect(readdirSync(dir)).toEqual([memo]);
      },
    );

    it.concurrent("bwrap's arguments and seccomp program never exist as files", async (ctx) => {
      const b = useBox(ctx, runner);
      const a = await longRun(b);
      const runDir = join(a.tmp, "..");
      // While the sandbox runs, its run directory holds only its TMPDIR, the mask source, its registration
      // and the sockets of srt's proxies (which refuse everything when the policy allows no host).
      expect(readdirSync(runDir).sort()).toEqual(["holds", "http.sock", "socks.sock", "tmp", "void"]);
      const everywhere = tree(b.root).filter((p) => /bwrap|seccomp|\.args$|\.bpf$/.test(p));
      expect(everywhere).toEqual([]);
      expect((await a.release()).status).toBe(0);
    });

    it.concurrent(
      "a forged registry record is never acted on: other inode, a symlink, not empty, an old-format line",
      async (ctx) => {
        const b = useBox(ctx, runner, {
          "outside/other-inode": "",
          "outside/target": "",
          "outside/full": "data",
          "outside/old-format": "",
        });
        symlinkSync(b.at("outside/target"), b.at("outside/link"));
        if (runner === "srt-test") lchownSync(b.at("outside/link"), b.uid, b.gid);
        const state = stateOf(b);
        mkdirSync(state, { mode: 0o700 });
        chmodSync(state, 0o700);
        if (runner === "srt-test") chownSync(state, b.uid, b.gid);
        const id = (p: string, from = p) => {
          const st = lstatSync(from, { bigint: true });
          return { path: p, dev: st.dev.toString(), ino: st.ino.toString() };
        };
        const other = id(b.at("outside/other-inode"));
        const forged = [
          { ...other, kind: "file", ino: (BigInt(other.ino) + 1n).toString() },
          { ...id(b.at("outside/link"), b.at("outside/target")), kind: "file" },
          { ...id(b.at("outside/full")), kind: "file" },
          { ...id(b.at("outside")), kind: "file" },
        ];
        writeFileSync(
          join(state, "placeholders"),
          forged.map((f) => JSON.stringify(f) + "\n").join("") + `f ${JSON.stringify(b.at("outside/old-format"))}\n`,
        );
        if (runner === "srt-test") chownSync(join(state, "placeholders"), b.uid, b.gid);
        const before = tree(b.outside);
        const out = await sh(b, "echo ran=yes");
        expect(report(out)["ran"], out.stderr).toBe("yes");
        expect(tree(b.outside)).toEqual(before);
        expect(lstatSync(b.at("outside/link")).isSymbolicLink()).toBe(true);
        // Forgotten, not kept: the registry is as empty as any run leaves it (useBox checks the rest).
        expect(existsSync(join(state, "placeholders"))).toBe(false);
      },
    );

    it.concurrent(
      "placeholders are counted per path: a run elsewhere that ends takes its own away at once",
      async (ctx) => {
        const b = useBox(ctx, runner, { "workB/keep": "b" });
        const beforeB = tree(b.at("workB"));
        const a = await longRun(b);
        expect(tree(b.work)).toContain(".npmrc");
        const out = await srt(b, ["--settings", b.settings, "-c", "test -e .npmrc && echo held=yes"], {
          cwd: b.at("workB"),
        });
        expect(report(out)["held"], out.stderr).toBe("yes");
        // B is done; A still runs: B's placeholders are gone now, A's stay.
        expect(tree(b.at("workB"))).toEqual(beforeB);
        expect(tree(b.work)).toContain(".npmrc");
        expect((await a.release()).status).toBe(0);
        expect(tree(b.work)).toEqual(["release"]);
      },
    );

    it.concurrent(
      "a placeholder another run created stays while a run that binds it lives, and stays protected",
      async (ctx) => {
        const b = useBox(ctx, runner);
        const first = await longRun(b);
        // Compiled while first's placeholders exist: this run binds .npmrc as an ordinary file.
        const second = startSrt(b, [
          "--settings",
          b.settings,
          "-c",
          `while [ ! -e ${b.at("outside/go")} ]; do sleep 0.05; done; ${probe("npmrc", "echo evil >> .npmrc")}`,
        ]);
        expect(await eventually(() => registered(b) === 2, 10_000)).toBe(true);
        await first.release();
        const between = tree(b.work);
        writeFileSync(b.at("outside/go"), "");
        const out = await second.done;
        // Had first removed .npmrc, the kernel would have detached second's mount on it: the write would land.
        expect(report(out)["npmrc"], out.stderr).toBe("refused");
        expect(between).toContain(".npmrc");
        expect(tree(b.work)).toEqual(["release"]);
      },
    );

    it.concurrent(
      "a policy that makes the state dir or anything in it writable is refused (SRT308) and runs nothing",
      async (ctx) => {
        const b = useBox(ctx, runner);
        const state = stateOf(b);
        expect((await sh(b, "true")).status).toBe(0); // the state dir exists, so the glob below matches it
        for (const allowWrite of [[state], [join(state, "runs")], [`${b.tmp}/srt-*`]]) {
          writeSettings(b, { filesystem: { allowWrite } });
          const out = await sh(b, `touch ${b.at("work/ran")}`);
          expect(out.status, `${allowWrite.join()}: ${out.stderr}`).toBe(2);
          expect(out.stderr).toMatch(/SRT308/);
          expect(read(b.at("work/ran"))).toBeUndefined();
        }
      },
    );

    it.concurrent("a plan compiled for another state dir does not run", async (ctx) => {
      const b = useBox(ctx, runner, { "tmp2/": null });
      const plan = b.at("plan.json");
      const compiled = await srt(b, ["compile", "--target", "linux", b.settings, "-o", plan]);
      expect(compiled.status, compiled.stderr).toBe(0);
      expect((await sh(b, "true")).status).toBe(0); // the plan's state dir exists: only the check stops the run below
      const out = await srt(b, ["exec", plan, "--", "touch", b.at("work/ran")], { env: { TMPDIR: b.at("tmp2") } });
      expect(out.status).toBe(2);
      expect(out.stderr).toMatch(/^srt exec: error SRT502: .*compiled for srt's state directory/m);
      expect(read(b.at("work/ran"))).toBeUndefined();
      expect((await srt(b, ["exec", plan, "--", "touch", b.at("work/ran")])).status).toBe(0);
    });

    it.concurrent("a state dir that is not private (mode, symlink) is refused, and nothing runs", async (ctx) => {
      const b = useBox(ctx, runner, { "outside/elsewhere/": null });
      const state = stateOf(b);
      mkdirSync(state, { mode: 0o755 });
      chmodSync(state, 0o755);
      if (runner === "srt-test") chownSync(state, b.uid, b.gid);
      const open = await sh(b, `touch ${b.at("work/ran")}`);
      expect(open.status).toBe(1);
      expect(open.stderr).toMatch(/^srt: error SRT501: .*state directory .* mode is 0755, not 0700/m);
      expect(read(b.at("work/ran"))).toBeUndefined();
      chmodSync(state, 0o700);
      // Replaced by a link to a directory the user owns with the right mode: still refused (lstat).
      const renamed = `${state}.real`;
      mkdirSync(renamed, { mode: 0o700 });
      if (runner === "srt-test") chownSync(renamed, b.uid, b.gid);
      rmdirSync(state);
      symlinkSync(renamed, state);
      const linked = await sh(b, `touch ${b.at("work/ran")}`);
      expect(linked.status).toBe(1);
      expect(linked.stderr).toMatch(/^srt: error SRT501: .*state directory .* symlink/m);
      expect(read(b.at("work/ran"))).toBeUndefined();
      rmSync(state);
      rmdirSync(renamed);
    });

    it.concurrent("with a private XDG_RUNTIME_DIR the state lives there, and is hidden there", async (ctx) => {
      const b = useBox(ctx, runner, { "xdg/": null });
      const xdg = b.at("xdg");
      chmodSync(xdg, 0o700);
      const state = join(realpathSync(xdg), "srt");
      const out = await sh(b, `echo tmp=$TMPDIR; ${probe("list", `ls -A ${state} | grep -qv runs`)}`, {
        env: { XDG_RUNTIME_DIR: xdg },
      });
      expect(out.status, out.stderr).toBe(0);
      expect(report(out)["tmp"]).toMatch(new RegExp(`^${state}/runs/[0-9a-f]+/tmp$`));
      expect(report(out)["list"]).toBe("refused");
      expect(readdirSync(join(state, "runs"))).toEqual([]);
    });
  });
});
