/**
 * `srt compile --target linux|macos [F] [-o OUT] [--emit …]`: the compiled artifact.
 *
 * With -o, the output file is write-protected in the policy it is compiled
 * from (mandatory:plan-file): `srt exec OUT` trusts the plan as found, and a
 * command that could rewrite it would choose the next run's sandbox. The file
 * is written without following a symlink at its name (one the command of an
 * earlier run could have planted, say towards ~/.bashrc).
 */
import { resolve } from "node:path";
import type { Policy, Target } from "../compiler/index.js";
import { backendsFor, lowerAndRender, type TargetOptions } from "../backends/registry.js";
import { hostSeccompArch } from "../runtime/host-arch.js";
import { hostRootEntries } from "../runtime/oci/host-root.js";
import { defineCommand, policyArgs, policyChoice } from "./args.js";
import { exitStatus, type CliIo } from "./io.js";
import { compileForCli } from "./policy-input.js";
import { compileOciBundle } from "./oci-bundle.js";
import { compileK8s } from "./compile-k8s.js";
import { writeOutput } from "./write-output.js";

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

/** The flags of `--target k8s` (cli/compile-k8s.ts). */
const k8sArgs = {
  image: { type: "string", description: "k8s: the image the command runs in" },
  namespace: { type: "string", description: "k8s: the namespace of every object" },
  name: { type: "string", description: "k8s: the pod's name (default srt-sandbox)" },
  volumes: { type: "string", description: "k8s: writable directories in emptyDir (default) or pvc:CLAIM" },
  egress: { type: "string", description: "k8s: proxy (srt proxy Deployment, default) or cilium" },
  "proxy-image": { type: "string", description: "k8s: an image with srt installed, for srt proxy" },
  "proxy-cluster-ip": { type: "string", description: "k8s: the proxy Service's ClusterIP (the pod then needs no DNS)" },
  "seccomp-profile": {
    type: "string",
    description: "k8s: the profile's path below the kubelet's seccomp directory (default srt/NAME.json)",
  },
} as const;

export const compileCommand = (io: CliIo) =>
  defineCommand({
    meta: { name: "compile", description: "Compile settings for a target and print or write the result" },
    args: {
      ...policyArgs,
      out: { type: "string", alias: "o", description: "write to this file instead of stdout" },
      emit: { type: "string", description: "what to produce (see the list per target below: ir, …)" },
      ...k8sArgs,
    },
    run({ args }): number {
      // `--target oci`: the Linux policy as an OCI bundle directory (oci-bundle.ts).
      if (args.target === "oci") return compileOciBundle(args, io);
      const k8sFlags = Object.keys(k8sArgs).filter((k) => args[k as keyof typeof k8sArgs] !== undefined);
      if (args.target === "k8s") {
        const both = policyChoice({ ...args, target: "linux" });
        if (!both.ok) {
          io.err(`srt compile: ${both.message}\n`);
          return exitStatus.usage;
        }
        if (args.emit !== undefined) {
          io.err("srt compile: --target k8s has one output (the objects and the seccomp profile); drop --emit\n");
          return exitStatus.usage;
        }
        return compileK8s(
          {
            ...args,
            settings: both.settings,
            proxyClusterIp: args["proxy-cluster-ip"],
            proxyImage: args["proxy-image"],
            seccompProfile: args["seccomp-profile"],
          },
          io,
        );
      }
      if (k8sFlags.length > 0) {
        io.err(`srt compile: --${k8sFlags[0]} is for --target k8s\n`);
        return exitStatus.usage;
      }
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
