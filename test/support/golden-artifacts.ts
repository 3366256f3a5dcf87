/** One golden file per backend artifact; each backend adds its renderer here. */
import { buildSeccomp, disassembleSeccomp, seccompOptionsFromPolicy } from "../../src/backends/seccomp/index.js";
import type { Policy } from "../../src/compiler/index.js";
import type { FixtureCase } from "./fixtures.js";

export interface GoldenArtifact {
  readonly file: string;
  readonly what: string;
  readonly render: (policy: Policy, c: FixtureCase) => string;
}

export const goldenArtifacts: readonly GoldenArtifact[] = [
  {
    file: "linux.bpf.txt",
    what: "seccomp program, x86_64",
    render: (p) => disassembleSeccomp(buildSeccomp(seccompOptionsFromPolicy(p, "x86_64"))),
  },
];
