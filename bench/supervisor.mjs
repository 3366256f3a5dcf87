// The supervisor's cost on file-heavy work (issue 13): untarring 20 000 files and a 200-file C
// build (make -j2), each inside the same bwrap sandbox with and without srt's supervisor
// (dist/native/srt-supervise, which traps every creating call and performs it itself). Reported
// as a ratio against the run without it, measured in the same run. Target: ≤ 1.10.
import { spawnSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fmt } from "./_measure.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const srt = `${root}dist/srt.mjs`;
const supervisor = `${root}dist/native/srt-supervise`;
const have = (tool) => spawnSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
const bwrap = have("bwrap");
if (process.platform !== "linux" || bwrap === "" || have("cc") === "" || have("make") === "") {
  console.log("supervisor bench: skipped (needs Linux with bwrap, cc and make)");
  process.exit(0);
}
const runs = 3;
const work = mkdtempSync(join(tmpdir(), "srt-bench-supervisor-"));
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

  const sandbox = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--bind", work, work, "--unshare-net"];
  const once = (script, supervised) => {
    const cfg = openSync(config, "r");
    const sink = openSync("/dev/null", "w");
    const argv = [...sandbox, "--chdir", work, "--", ...(supervised ? [supervisor, "7", "9", "--"] : [])];
    const t0 = process.hrtime.bigint();
    const r = spawnSync(bwrap, [...argv, "sh", "-c", script], {
      stdio: ["ignore", "ignore", "pipe", "ignore", "ignore", "ignore", "ignore", cfg, "ignore", sink],
    });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    closeSync(cfg);
    closeSync(sink);
    if (r.status !== 0) throw new Error(`${script}: ${r.stderr}`);
    return ms;
  };
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const row = (name, script) => {
    // Alternating, so that a change in the machine's load hits both sides alike.
    const withTimes = [];
    const withoutTimes = [];
    for (let i = 0; i < runs; i++) {
      withoutTimes.push(once(script, false));
      withTimes.push(once(script, true));
    }
    const without = median(withoutTimes);
    const withSup = median(withTimes);
    const ratio = withSup / without;
    console.log(
      `${name.padEnd(34)} ${fmt(withSup).padStart(10)} with, ${fmt(without).padStart(10)} without  ×${ratio.toFixed(3)}  target ≤ ×1.10: ${ratio <= 1.1 ? "met" : "MISSED"}`,
    );
  };
  console.log(`medians of ${runs} runs, the same bwrap sandbox with and without srt-supervise`);
  row("untar 20 000 files", "rm -rf tree && tar -xf tree.tar && rm -rf tree");
  row("200-file C build (make -j2)", "make -s -C c clean && make -s -j2 -C c");
} finally {
  rmSync(work, { recursive: true, force: true });
}
