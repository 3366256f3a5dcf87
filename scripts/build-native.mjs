// Builds srt's native helpers from source: every directory native/<name>/ holding *.c files
// becomes one executable dist/native/<name>, compiled by the system C compiler (`cc`) with
// warnings as errors. No binaries come from elsewhere; `npm install` (prepare), `npm run
// build` and CI all come through here.
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
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
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

export function buildNative() {
  const programs = existsSync(source)
    ? readdirSync(source).filter((d) => statSync(`${source}/${d}`).isDirectory())
    : [];
  mkdirSync(out, { recursive: true });
  for (const name of programs) {
    const files = readdirSync(`${source}/${name}`)
      .filter((f) => f.endsWith(".c"))
      .sort()
      .map((f) => `${source}/${name}/${f}`);
    if (files.length === 0) continue;
    const staging = `${out}/.${name}.${process.pid}`;
    try {
      execFileSync(process.env.CC || "cc", [...flags, "-o", staging, ...files], { stdio: "inherit" });
    } catch (e) {
      rmSync(staging, { force: true });
      const missing = e && typeof e === "object" && "code" in e && e.code === "ENOENT";
      if (!missing) throw new Error(`building native/${name} failed (see the compiler's messages above)`);
      console.error(
        `srt: native/${name} NOT BUILT: no C compiler (cc). Runs refuse until it is: ` +
          "`npx srt doctor --fix` installs one and builds it (or: apt-get install gcc libc6-dev, then npm run build)",
      );
      continue;
    }
    renameSync(staging, `${out}/${name}`);
  }
  for (const f of readdirSync(out)) if (!programs.includes(f)) rmSync(`${out}/${f}`, { force: true, recursive: true });
}

if (import.meta.url === `file://${process.argv[1]}`) buildNative();
