/**
 * `srt compile --target oci [F] -o DIR`: the policy as an OCI bundle that
 * runc (or crun) runs as it is, and that `srt exec DIR/plan.json -- cmd`
 * runs with srt's proxies, placeholders and protection watch:
 *
 *   DIR/config.json   the runtime spec; process.args is /bin/sh (edit it, or
 *                     use srt exec, which sets the command)
 *   DIR/rootfs/       the skeleton root; DIR/skeleton/N the read masks'
 *   DIR/tmp/          the command's TMPDIR, writable; DIR/void the mode-000 file
 *   DIR/plan.json     the OCI plan for srt exec
 *
 * DIR itself is write-protected in the policy it holds (mandatory:plan-file),
 * as `srt compile -o F` protects F: a command that could rewrite the bundle
 * would choose the next run's sandbox. DIR must not exist yet.
 */
import { chmodSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { instantiateOci, lowerOciPlan } from "../backends/oci/index.js";
import { hostSeccompArch } from "../runtime/host-arch.js";
import { hostRootEntries } from "../runtime/oci/host-root.js";
import { writeBundle } from "../runtime/oci/bundle.js";
import { nodeLinuxFs } from "../runtime/linux/node-deps.js";
import { ensureStateDir } from "../runtime/state-dir.js";
import { exitStatus, type CliIo } from "./io.js";
import { compileForCli } from "./policy-input.js";

export function compileOciBundle(
  args: {
    readonly out?: string | undefined;
    readonly file?: string | undefined;
    readonly settings?: string | undefined;
  },
  io: CliIo,
): number {
  if (args.out === undefined) {
    io.err("srt compile: --target oci writes a bundle directory: give it with -o DIR (or --target linux --emit oci)\n");
    return exitStatus.usage;
  }
  if (args.file !== undefined && args.settings !== undefined) {
    io.err("srt compile: give the settings file either as an argument or with --settings, not both\n");
    return exitStatus.usage;
  }
  const dir = resolve(io.cwd, args.out);
  try {
    // Made first, so the compile sees (and protects) a directory.
    mkdirSync(dir, { mode: 0o755 });
  } catch (e) {
    io.err(`srt compile: ${args.out}: cannot create the bundle directory (${(e as NodeJS.ErrnoException).code})\n`);
    return exitStatus.runtime;
  }
  const settings = args.settings ?? args.file;
  const { policy } = compileForCli({ settings, outputs: [{ path: dir, rule: "plan-file" }] }, io, "linux");
  if (policy === undefined) return exitStatus.usage;
  const plan = lowerOciPlan(policy, hostSeccompArch(), hostRootEntries());
  try {
    // The bundle masks srt's state directory at its path: runc needs the mount point to exist.
    ensureStateDir(nodeLinuxFs, policy.context.stateDir, io.uid);
  } catch (e) {
    io.err(`srt compile: ${(e as Error).message}\n`);
    return exitStatus.runtime;
  }
  const tmp = `${dir}/tmp`;
  const voidFile = `${dir}/void`;
  try {
    mkdirSync(tmp, { mode: 0o1777 });
    chmodSync(tmp, 0o1777);
    writeFileSync(voidFile, "", { mode: 0 });
    const bundle = instantiateOci(plan.oci, {
      command: ["/bin/sh"],
      env: { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", TMPDIR: tmp },
      slots: { tmp, void: voidFile },
      bundle: dir,
      uid: io.uid,
      gid: io.gid,
      exists: (p) => existsSync(p),
    });
    // srt exec creates them for the run (and removes them after); runc alone cannot.
    if (bundle.skipped.length > 0)
      io.err(
        `srt compile: warning: config.json leaves out the read-only binds of ${bundle.skipped.length} protected paths that do not exist yet (${bundle.skipped.slice(0, 3).join(", ")}${bundle.skipped.length > 3 ? ", …" : ""}): run directly by runc, the command could create them; \`srt exec ${args.out}/plan.json -- cmd\` creates and protects them\n`,
      );
    writeBundle(
      {
        mkdir: (p, mode) => mkdirSync(p, { mode }),
        writeFile: (p, text, mode) => writeFileSync(p, text, { mode, flag: "wx" }),
        symlink: (target, p) => symlinkSync(target, p),
      },
      dir,
      bundle,
      { exists: true },
    );
    writeFileSync(`${dir}/plan.json`, JSON.stringify(plan, null, 2) + "\n", { mode: 0o644, flag: "wx" });
  } catch (e) {
    io.err(`srt compile: ${args.out}: ${(e as Error).message}\n`);
    return exitStatus.runtime;
  }
  return exitStatus.ok;
}
