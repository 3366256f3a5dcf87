// Builds srt's native helpers from source: every directory native/<name>/ holding *.c files
// becomes one executable dist/native/<name>, compiled by the system C compiler (`cc`) with
// warnings as errors. No binaries come from elsewhere; `npm install` (prepare), `npm run
// build` and CI all come through here.
//
// Prebuilt helpers for the published package (`npm run build:prebuilt`, i.e. `--prebuilt`):
// the same sources, built per platform and architecture into dist/native/linux-x64/ and
// dist/native/linux-arm64/ — the machine's own architecture with `cc` (or $CC), the other
// with its cross compiler (Debian's gcc-x86-64-linux-gnu / gcc-aarch64-linux-gnu, or
// $CC_X64 / $CC_ARM64). There a missing compiler is an error. src/runtime/native.ts takes
// dist/native/<platform>-<arch>/<name> when it exists, else dist/native/<name>; so the
// plain build also refreshes the directory of its own architecture when there is one (a
// checkout must never run a stale prebuilt helper instead of the one it just built).
//
// Each program is linked aside and renamed into place, so a run that starts while a build
// runs never executes a half-written file. A program whose directory is gone is removed
// from dist/native (it would otherwise be published).
//
// On a machine without a C compiler the build says so loudly and skips the helpers, so that
// `npm install` still gives a CLI whose `srt doctor --fix` can install the compiler and build
// them: every run that needs a missing helper refuses (SRT510), so nothing runs without it.
// A compiler that is there and fails is an error.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const source = `${root}native`;
const out = `${root}dist/native`;

const flags = [
  "-std=c11",
  "-O2",
  "-Wall",
  "-Wextra",
  "-Werror",
  "-D_GNU_SOURCE",
  "-fstack-protector-strong",
  "-fPIE",
  "-pie",
];

/**
 * Per program: srt-supervise is linked statically, because under Docker and podman it is the
 * first process of a container whose root may be the user's image, with no libc of the host's
 * (or none at all); bound in read-only, it must run there as it is.
 */
const programFlags = { "srt-supervise": ["-static-pie"] };

/** The per-architecture directories of dist/native (Node's names: process.platform-process.arch). */
export const prebuiltTargets = {
  "linux-x64": { gnu: "x86_64-linux-gnu", env: "CC_X64" },
  "linux-arm64": { gnu: "aarch64-linux-gnu", env: "CC_ARM64" },
};
const isTargetDir = (name) => Object.hasOwn(prebuiltTargets, name);
const hostTarget = `${process.platform}-${process.arch}`;

const programsIn = () =>
  existsSync(source) ? readdirSync(source).filter((d) => statSync(`${source}/${d}`).isDirectory()) : [];

const sourcesOf = (name) =>
  readdirSync(`${source}/${name}`)
    .filter((f) => f.endsWith(".c"))
    .sort()
    .map((f) => `${source}/${name}/${f}`);

/** Compiles one program into dir/name (aside, then renamed); false when the compiler does not exist. */
function compile(cc, name, dir) {
  const staging = `${dir}/.${name}.${process.pid}`;
  try {
    execFileSync(cc, [...flags, ...(programFlags[name] ?? []), "-o", staging, ...sourcesOf(name)], {
      stdio: "inherit",
    });
  } catch (e) {
    rmSync(staging, { force: true });
    if (e && typeof e === "object" && "code" in e && e.code === "ENOENT") return false;
    throw new Error(`building native/${name} with ${cc} failed (see the compiler's messages above)`);
  }
  renameSync(staging, `${dir}/${name}`);
  return true;
}

/** Removes from dir what is no program (any more); the target directories stay. */
function prune(dir, programs) {
  for (const f of readdirSync(dir))
    if (!programs.includes(f) && !(dir === out && isTargetDir(f)))
      rmSync(`${dir}/${f}`, { force: true, recursive: true });
}

/** The plain build: this machine's compiler, dist/native/<name> (and the directory of this architecture, if any). */
export function buildNative() {
  const programs = programsIn();
  mkdirSync(out, { recursive: true });
  const own = `${out}/${hostTarget}`;
  for (const name of programs) {
    if (sourcesOf(name).length === 0) continue;
    if (!compile(process.env.CC || "cc", name, out)) {
      console.error(
        `srt: native/${name} NOT BUILT: no C compiler (cc). Runs refuse until it is: ` +
          "`npx srt doctor --fix` installs one and builds it (or: apt-get install gcc libc6-dev, then npm run build)",
      );
      // A prebuilt one for this architecture would be taken instead of the one that failed to build: not a
      // stale one, then.
      rmSync(`${own}/${name}`, { force: true });
      continue;
    }
    if (existsSync(own)) {
      copyFileSync(`${out}/${name}`, `${own}/.${name}.${process.pid}`);
      renameSync(`${own}/.${name}.${process.pid}`, `${own}/${name}`);
    }
  }
  prune(out, programs);
  if (existsSync(own)) prune(own, programs);
}

/**
 * The prebuilt helpers: for each target (default both), dist/native/<target>/<name>, with this machine's
 * compiler for its own architecture and the cross compiler for the other. Returns the directories built.
 */
export function buildPrebuilt(targets = Object.keys(prebuiltTargets), into = out) {
  const programs = programsIn();
  const built = [];
  for (const target of targets) {
    const t = prebuiltTargets[target];
    if (t === undefined)
      throw new Error(`unknown target ${target} (known: ${Object.keys(prebuiltTargets).join(", ")})`);
    const cc = process.env[t.env] || (target === hostTarget ? process.env.CC || "cc" : `${t.gnu}-gcc`);
    const dir = `${into}/${target}`;
    mkdirSync(dir, { recursive: true });
    for (const name of programs) {
      if (sourcesOf(name).length === 0) continue;
      if (!compile(cc, name, dir))
        throw new Error(
          `no C compiler ${cc} for ${target}: apt-get install gcc-${t.gnu.replace(/_/g, "-")} (or set ${t.env})`,
        );
    }
    prune(dir, programs);
    built.push(dir);
  }
  return built;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  if (args[0] === "--prebuilt") {
    // --prebuilt [--out DIR] [TARGET…]
    const at = args.indexOf("--out");
    const into = at === -1 ? out : args[at + 1];
    const targets = args.slice(1).filter((a, i) => a !== "--out" && args[i] !== "--out");
    for (const dir of buildPrebuilt(targets.length === 0 ? undefined : targets, into)) console.log(`built ${dir}`);
  } else buildNative();
}
