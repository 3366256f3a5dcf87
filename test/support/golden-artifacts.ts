/** One golden file per backend artifact; each backend adds its renderer here. */
import { buildSeccomp, disassembleSeccomp, seccompOptionsFromPolicy } from "../../src/backends/seccomp/index.js";
import { lowerBwrap, renderBwrap } from "../../src/backends/bwrap/index.js";
import { lowerSeatbelt, renderSeatbelt } from "../../src/backends/seatbelt/index.js";
import type { Policy } from "../../src/compiler/index.js";
import type { FixtureCase } from "./fixtures.js";

export interface GoldenArtifact {
  readonly file: string;
  readonly what: string;
  readonly render: (policy: Policy, c: FixtureCase) => string;
}

export const goldenArtifacts: readonly GoldenArtifact[] = [
  {
    file: "linux.bwrap.txt",
    what: "bubblewrap arguments",
    render: (p) => renderBwrap(lowerBwrap(p)),
  },
  {
    file: "linux.bpf.txt",
    what: "seccomp program, x86_64",
    render: (p) => disassembleSeccomp(buildSeccomp(seccompOptionsFromPolicy(p, "x86_64"))),
  },
  {
    file: "macos.sb",
    what: "Seatbelt profile (proxy ports 3128/1080, tag srt)",
    render: (p) => renderSeatbelt(lowerSeatbelt(p, { proxy: { httpPort: 3128, socksPort: 1080 } })),
  },
];
