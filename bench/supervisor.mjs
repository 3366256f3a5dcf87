// The supervisor's cost on file-heavy work (issue 13): untarring 20 000 files and a 200-file C
// build (make -j2), each inside the same bwrap sandbox with and without srt's supervisor
// (dist/native/srt-supervise, which traps every creating call and performs it itself). Reported
// as a ratio against the run without it, measured in the same run, plus the difference per
// trapped call. Target: ≤ 1.10. Beside the wall time, the CPU time of all the processes of a run
// (this process's waited-for children, from /proc/self/stat): on a loaded machine the wall time
// of a trapped call is mostly its wake-ups waiting for a CPU, while the CPU time is the work.
//
// Every untar goes to a directory of its own and all are removed at the end: ext4 without a
// journal skips every inode freed in the last minute when it allocates one, so extracting where
// the previous run had just deleted 20 000 files measures that scan, not the supervisor (on such
// a file system the disk row still varies with what else was deleted lately). The untar also runs on tmpfs
// (/dev/shm) when there is one: there creating a file costs least, so the supervisor's share is
// largest (its floor: the notification round trip per call).
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fmt } from "./_measure.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const srt = `${root}dist/srt.cjs`;
const supervisor = `${root}dist/native/srt-supervise`;
const have = (tool) => spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
const bwrap = have("bwrap");
if (process.platform !== "linux" || bwrap === "" || have("cc") === "" || have("make") === "") {
  console.log("supervisor bench: skipped (needs Linux with bwrap, cc and make)");
  process.exit(0);
}
const runs = 5;
const work = mkdtempSync(join(tmpdir(), "srt-bench-supervisor-"));
const shm = existsSync("/dev/shm") ? mkdtempSync("/dev/shm/srt-bench-supervisor-") : undefined;
try {
  // 20 000 small files in 200 directories, as one tar.
  const tree = join(work, "tree");
  for (let d = 0; d < 200; d++) {
    mkdirSync(join(tree, `d${d}`), { recursive: true });
    for (let f = 0; f < 100; f++) writeFileSync(join(tree, `d${d}`, `f${f}.txt`), `${d}/${f}\n`);
  }
  spawnSync("tar", ["-cf", join(work, "tree.tar"), "-C", work, "tree"]);
  rmSync(tree, { recursive: true });
  // 200 C files and a Makefile.
  const c = join(work, "c");
  mkdirSync(c);
  for (let i = 0; i < 200; i++) writeFileSync(join(c, `f${i}.c`), `int f${i}(int x) { return x * ${i} + 1; }\n`);
  writeFileSync(join(c, "main.c"), "int main(void) { return 0; }\n");
  writeFileSync(
    join(c, "Makefile"),
    "SRC := $(wildcard *.c)\nOBJ := $(SRC:.c=.o)\nprog: $(OBJ)\n\tcc -o $@ $^\n%.o: %.c\n\tcc -O0 -c -o $@ $<\nclean:\n\trm -f *.o prog\n",
  );

  // The supervisor's configuration for this directory, from the plan srt compiles (format: native/srt-supervise/config.c).
  writeFileSync(join(work, "settings.json"), JSON.stringify({}));
  const compiled = spawnSync(process.execPath, [srt, "compile", "--target", "linux", join(work, "settings.json")], {
    cwd: work,
    encoding: "utf8",
  });
  if (compiled.status !== 0) throw new Error(compiled.stderr);
  const plan = JSON.parse(compiled.stdout);
  const fields = [];
  const field = (...fs) => fs.forEach((f) => fields.push(Buffer.from(f), Buffer.of(0)));
  const bpf = Buffer.from(plan.seccomp.base64, "base64");
  field("srt-supervise-1", "bpf", String(bpf.length));
  fields.push(bpf);
  for (const n of plan.supervisor.names) field("name", n.origin, n.name);
  for (const n of plan.supervisor.gitDirNames) field("gitdir", n.origin, n.name);
  for (const p of plan.supervisor.paths) field("path", p.origin, p.path);
  for (const r of plan.supervisor.roots) field("root", r);
  field("landlock", "end");
  const config = join(work, "config.bin");
  writeFileSync(config, Buffer.concat(fields));

  // The same plan with the tmpfs directory as its writable root.
  const shmConfig = join(work, "config-shm.bin");
  if (shm !== undefined)
    writeFileSync(shmConfig, Buffer.from(Buffer.concat(fields).toString("latin1").replaceAll(work, shm), "latin1"));
  // CPU time (user + system) of the waited-for children so far, in ms (clock ticks of 10 ms).
  const childCpu = () => {
    const f = readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
    return (Number(f[13]) + Number(f[14])) * 10;
  };
  let n = 0;
  const once = (script, supervised, dir = work) => {
    const cfg = openSync(dir === work ? config : shmConfig, "r");
    const sink = openSync("/dev/null", "w");
    const sandbox = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--bind", work, work];
    if (dir !== work) sandbox.push("--bind", dir, dir);
    const argv = [
      ...sandbox,
      "--unshare-net",
      "--chdir",
      dir,
      "--",
      ...(supervised ? [supervisor, "7", "9", "--"] : []),
    ];
    const c0 = childCpu();
    const t0 = process.hrtime.bigint();
    n++;
    const r = spawnSync(bwrap, [...argv, "sh", "-c", script.replaceAll("$N", String(n))], {
      stdio: ["ignore", "ignore", "pipe", "ignore", "ignore", "ignore", "ignore", cfg, "ignore", sink],
    });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpu = childCpu() - c0;
    closeSync(cfg);
    closeSync(sink);
    if (r.status !== 0) throw new Error(`${script}: ${r.stderr}`);
    // tmpfs has no such scan, but holds its files in memory: each untar goes at once.
    if (dir !== work) rmSync(join(dir, `x${n}`), { recursive: true, force: true });
    return { ms, cpu };
  };
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const row = (name, script, calls, dir = work) => {
    // Alternating, so that a change in the machine's load hits both sides alike.
    const withTimes = [];
    const withoutTimes = [];
    for (let i = 0; i < runs; i++) {
      withoutTimes.push(once(script, false, dir));
      withTimes.push(once(script, true, dir));
    }
    const without = median(withoutTimes.map((t) => t.ms));
    const withSup = median(withTimes.map((t) => t.ms));
    const ratio = withSup / without;
    const per = (a, b) => (calls === undefined ? "" : `, ${(((a - b) * 1000) / calls).toFixed(1)} µs per trapped call`);
    console.log(
      `${name.padEnd(30)} wall ${fmt(withSup).padStart(10)} with, ${fmt(without).padStart(10)} without  ×${ratio.toFixed(3)}  target ≤ ×1.10: ${ratio <= 1.1 ? "met" : "MISSED"}${per(withSup, without)}`,
    );
    const cpuWithout = median(withoutTimes.map((t) => t.cpu));
    const cpuWith = median(withTimes.map((t) => t.cpu));
    console.log(
      `${"".padEnd(30)} CPU  ${fmt(cpuWith).padStart(10)} with, ${fmt(cpuWithout).padStart(10)} without  ×${(cpuWith / cpuWithout).toFixed(3)}${per(cpuWith, cpuWithout)}`,
    );
  };
  console.log(`medians of ${runs} runs, the same bwrap sandbox with and without srt-supervise`);
  // 20 000 files and 201 directories: 20 201 trapped calls.
  const untar = "mkdir x$N && cd x$N && tar -xf ../tree.tar";
  row("untar 20 000 files", untar, 20201);
  if (shm !== undefined) {
    spawnSync("cp", [join(work, "tree.tar"), shm]);
    row("untar 20 000 files on tmpfs", untar, 20201, shm);
  }
  row("200-file C build (make -j2)", "make -s -C c clean && make -s -j2 -C c");
} finally {
  rmSync(work, { recursive: true, force: true });
  if (shm !== undefined) rmSync(shm, { recursive: true, force: true });
}
