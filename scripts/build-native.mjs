// Builds srt's native helpers from source: every directory native/<name>/ holding *.c files
// becomes one executable dist/native/<name>, compiled by the system C compiler (`cc`) with
// warnings as errors. No binaries come from elsewhere; `npm install` (prepare), `npm run
// build` and CI all come through here.
//
// Each program is linked aside and renamed into place, so a run that starts while a build
// runs never executes a half-written file. A program whose directory is gone is removed
// from dist/native (it would otherwise be published).
//
// On a machine without a C compiler the build says so and stops: srt refuses a run that
// needs a missing helper (fail closed), so a silent skip would only move the error later.
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
      throw new Error(
        missing
          ? `building native/${name} needs a C compiler (cc); install it (Debian: apt-get install gcc libc6-dev)`
          : `building native/${name} failed (see the compiler's messages above)`,
      );
    }
    renameSync(staging, `${out}/${name}`);
  }
  for (const f of readdirSync(out)) if (!programs.includes(f)) rmSync(`${out}/${f}`, { force: true, recursive: true });
}

if (import.meta.url === `file://${process.argv[1]}`) buildNative();
