/**
 * `srt compile --target linux|macos [F] [-o OUT] [--emit …]`: the compiled artifact.
 *
 * With -o, the output file is write-protected in the policy it is compiled
 * from (mandatory:plan-file): `srt exec OUT` trusts the plan as found, and a
 * command that could rewrite it would choose the next run's sandbox. The file
 * is written without following a symlink at its name (one the command of an
 * earlier run could have planted, say towards ~/.bashrc).
 */
import { closeSync, constants, fstatSync, ftruncateSync, openSync, writeSync } from "node:fs";
import { resolve } from "node:path";
import type { Policy, Target } from "../compiler/index.js";
import { backendsFor, lowerAndRender, type TargetOptions } from "../backends/registry.js";
import { hostSeccompArch } from "../runtime/host-arch.js";
import { hostRootEntries } from "../runtime/oci/host-root.js";
import { defineCommand, policyArgs, policyChoice } from "./args.js";
import { exitStatus, type CliIo } from "./io.js";
import { compileForCli } from "./policy-input.js";
import { compileOciBundle } from "./oci-bundle.js";

/** Plans are compiled for this machine; a getter, so only a Linux backend asks for the arch. */
const options: TargetOptions = {
  get linux() {
    return {
      arch: hostSeccompArch(),
      get root() {
        return hostRootEntries();
      },
    };
  },
  macos: {},
};

/** What a target can emit: its backends' texts (the first is the default), then the IR itself. */
const emitters = (target: Target): Record<string, (p: Policy) => string> => ({
  ...Object.fromEntries(backendsFor(target).map((b) => [b.emit, (p: Policy) => lowerAndRender(b, p, options)])),
  ir: (p) => JSON.stringify(p, null, 2) + "\n",
});

export const compileCommand = (io: CliIo) =>
  defineCommand({
    meta: { name: "compile", description: "Compile settings for a target and print or write the result" },
    args: {
      ...policyArgs,
      out: { type: "string", alias: "o", description: "write to this file instead of stdout" },
      emit: { type: "string", description: "what to produce (see the list per target below: ir, …)" },
    },
    run({ args }): number {
      // `--target oci`: the Linux policy as an OCI bundle directory (oci-bundle.ts).
      if (args.target === "oci") return compileOciBundle(args, io);
      const choice = policyChoice(args);
      if (!choice.ok) {
        io.err(`srt compile: ${choice.message}\n`);
        return exitStatus.usage;
      }
      const { target, settings } = choice;
      const available = emitters(target);
      const emit = args.emit ?? Object.keys(available)[0]!;
      const render = available[emit];
      if (render === undefined) {
        io.err(
          `srt compile: --emit ${emit} is not available for ${target}; choose one of: ${Object.keys(available).join(", ")}\n`,
        );
        return exitStatus.usage;
      }
      const out = args.out === undefined ? undefined : resolve(io.cwd, args.out);
      const { policy } = compileForCli(
        { settings, ...(out === undefined ? {} : { outputs: [{ path: out, rule: "plan-file" }] }) },
        io,
        target,
      );
      if (policy === undefined) return exitStatus.usage;
      const text = render(policy);
      if (out === undefined) {
        io.out(text);
        return exitStatus.ok;
      }
      const written = writeOutput(out, text);
      if (written !== undefined) io.err(`srt compile: ${args.out}: ${written}\n`);
      return written === undefined ? exitStatus.ok : exitStatus.runtime;
    },
  });

/** Writes text to path, refusing a symlink or anything but a regular file there; the error text, if any. */
function writeOutput(path: string, text: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW, 0o644);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === "ELOOP"
      ? "is a symbolic link; srt does not write through it (remove it, or name the file it points to)"
      : `cannot write it (${code ?? (e as Error).message})`;
  }
  try {
    if (!fstatSync(fd).isFile()) return "is not a regular file";
    // Truncated only now: O_TRUNC at open would empty a FIFO or device before the check.
    ftruncateSync(fd, 0);
    const bytes = Buffer.from(text, "utf8");
    for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off);
    return undefined;
  } catch (e) {
    return `cannot write it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  } finally {
    closeSync(fd);
  }
}
