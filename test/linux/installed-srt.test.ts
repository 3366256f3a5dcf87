/**
 * srt installed in the project it sandboxes (`npm i -D srt-sandbox`, run as
 * `npx srt`): the project is writable by default, so the command could
 * rewrite srt's package or the node_modules/.bin entry that launches it, and
 * the next `npx srt` would run that unsandboxed. Both must stay read-only.
 */
import {
  cpSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../support/repo.js";
import {
  missingTestUser,
  read,
  report,
  runners,
  srt,
  srtBin,
  supported,
  useBox,
  type Box,
  skipReason,
} from "./support.js";
import { lacking, unavailable } from "../support/requirements.js";

const T = `t() { n=$1; shift; if err=$( ("$@") 2>&1 ); then echo "$n=ok"; else echo "$n=failed"; fi; }\n`;

/** Copies the built package (dist + package.json) into the box project, the way npm installs it. */
function install(b: Box, launcher: "npm-link" | "pnpm-shim"): { pkg: string; bin: string } {
  const pkg = b.at("work/node_modules/srt-sandbox");
  mkdirSync(join(pkg, "dist"), { recursive: true });
  cpSync(dirname(srtBin), join(pkg, "dist"), { recursive: true });
  cpSync(join(repoRoot, "package.json"), join(pkg, "package.json"));
  const bin = b.at("work/node_modules/.bin");
  mkdirSync(bin);
  if (launcher === "npm-link") symlinkSync("../srt-sandbox/dist/srt.cjs", join(bin, "srt"));
  else
    writeFileSync(join(bin, "srt"), `#!/bin/sh\nexec node "$(dirname "$0")/../srt-sandbox/dist/srt.cjs" "$@"\n`, {
      mode: 0o755,
    });
  if (b.runner === "srt-test") chownAll(b.at("work/node_modules"), b.uid, b.gid);
  return { pkg, bin };
}

function chownAll(p: string, uid: number, gid: number): void {
  const st = lstatSync(p);
  lchownSync(p, uid, gid);
  if (st.isDirectory()) for (const e of readdirSync(p)) chownAll(join(p, e), uid, gid);
}

/** Runs the installed srt through its .bin entry, as npx does: `node .bin/srt` for the link, the shim itself for pnpm. */
const viaLauncher =
  (bin: string, shim = false) =>
  (argv: string[]) => {
    const i = argv.indexOf(srtBin);
    return shim
      ? [...argv.slice(0, i - 1), join(bin, "srt"), ...argv.slice(i + 1)]
      : argv.map((a) => (a === srtBin ? join(bin, "srt") : a));
  };

const attack = [
  T,
  "t bin_rm rm -f node_modules/.bin/srt",
  "t bin_replace sh -c 'echo \"#!/bin/sh\" > evil && mv -f evil node_modules/.bin/srt'",
  "t bin_relink ln -sfn /bin/true node_modules/.bin/srt",
  "t bin_write sh -c 'echo evil >> node_modules/.bin/srt'",
  "t bin_dir_mv mv node_modules/.bin node_modules/.bin.old",
  // Both launchers start node by PATH (npx puts .bin first; pnpm's shim prefers .bin/node).
  "t bin_node sh -c 'printf \"#!/bin/sh\\n\" > node_modules/.bin/node && chmod +x node_modules/.bin/node'",
  "t pkg_json sh -c 'echo {} > node_modules/srt-sandbox/package.json'",
  "t pkg_new sh -c 'echo evil > node_modules/srt-sandbox/evil.mjs'",
  "t pkg_dist sh -c 'echo evil >> node_modules/srt-sandbox/dist/srt.cjs'",
  // The entry of earlier builds, which scripts may still run.
  "t pkg_wrapper sh -c 'echo evil >> node_modules/srt-sandbox/dist/srt.mjs'",
  "t pkg_mv mv node_modules/srt-sandbox node_modules/srt-sandbox.old",
  "t project_ok sh -c 'echo fine > notes.txt'",
].join("\n");

describe.skipIf(lacking(!supported, skipReason))(
  "srt installed in the project cannot be rewritten from inside its sandbox",
  () => {
    if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");

    describe.each(runners)("as %s", (runner) => {
      it.concurrent("npm layout: the .bin symlink, the package root and its dist stay as installed", async (ctx) => {
        const b = useBox(ctx, runner);
        const { pkg, bin } = install(b, "npm-link");
        const packageJson = read(join(pkg, "package.json"));
        const out = await srt(b, ["--settings", b.settings, "-c", attack], { wrap: viaLauncher(bin) });
        expect(out.status, out.stderr).toBe(0);
        const r = report(out);
        expect(r["project_ok"]).toBe("ok");
        for (const k of [
          "bin_rm",
          "bin_replace",
          "bin_relink",
          "bin_write",
          "bin_dir_mv",
          "bin_node",
          "pkg_json",
          "pkg_new",
          "pkg_dist",
          "pkg_wrapper",
          "pkg_mv",
        ])
          expect(r[k], k).toBe("failed");
        expect(readlinkSync(join(bin, "srt"))).toBe("../srt-sandbox/dist/srt.cjs");
        expect(read(join(pkg, "package.json"))).toBe(packageJson);
        expect(read(join(pkg, "evil.mjs"))).toBeUndefined();
        expect(read(join(bin, "node"))).toBeUndefined();
        expect(read(join(pkg, "dist/srt.cjs"))).not.toContain("evil");
        expect(read(join(pkg, "dist/srt.mjs"))).not.toContain("evil");
      });

      it.concurrent("pnpm layout: the .bin shim file stays as installed", async (ctx) => {
        const b = useBox(ctx, runner);
        const { bin } = install(b, "pnpm-shim");
        const shim = read(join(bin, "srt"));
        const out = await srt(b, ["--settings", b.settings, "-c", attack], { wrap: viaLauncher(bin, true) });
        expect(out.status, out.stderr).toBe(0);
        const r = report(out);
        expect(r["project_ok"]).toBe("ok");
        for (const k of [
          "bin_rm",
          "bin_replace",
          "bin_relink",
          "bin_write",
          "bin_dir_mv",
          "bin_node",
          "pkg_json",
          "pkg_new",
          "pkg_dist",
          "pkg_wrapper",
          "pkg_mv",
        ])
          expect(r[k], k).toBe("failed");
        expect(read(join(bin, "srt"))).toBe(shim);
      });
    });
  },
);
