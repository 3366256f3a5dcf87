/**
 * Parity of the OCI bundle with the bwrap backend: for every fixture and for
 * random policies, every path a rule names (and a child of it, every mount
 * point, srt's state directory) is read-write, read-only or masked in the
 * container exactly as in the bwrap sandbox.
 *
 * Both are modelled as mount stacks: a later mount covering a path decides
 * what is there. bwrap: `--ro-bind / /`, the plan's ops in argv order, the
 * state directory's tmpfs and temp dir, then `--remount-ro` (which acts on
 * the mount at exactly that path, not below it). OCI: the skeleton root,
 * then config.json's mounts in order (a skeleton or the void file masks, a
 * bind is rw or read-only by its options).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planMounts, type MountState } from "../../src/backends/bwrap/index.js";
import { lowerOci, type OciArtifact, type RootEntry } from "../../src/backends/oci/index.js";
import type { Policy } from "../../src/compiler/index.js";
import { isWithin } from "../../src/compiler/paths.js";
import { compileFixture, listFixtures, loadFixture } from "../support/fixtures.js";
import { debianRoot } from "../support/golden-artifacts.js";
import { randomPolicy } from "../seatbelt/random-policy.js";

const probe = "srt-parity-probe";
const child = (p: string): string => (p === "/" ? `/${probe}` : `${p}/${probe}`);

/** The host's `/` as the backend gets it: Debian's, plus every top-level name the policy mentions. */
function rootFor(policy: Policy): RootEntry[] {
  const names = new Set(debianRoot.map((e) => e.name));
  const extra = policy.filesystem.rules
    .map((r) => (r.kind === "path" ? r.path : r.pattern).split("/")[1])
    .filter((n): n is string => n !== undefined && n !== "" && !names.has(n));
  return [...debianRoot, ...[...new Set(extra)].map((name) => ({ name, kind: "dir" as const }))];
}

interface Layer {
  readonly at: string;
  state: MountState;
}

/** The state of `path` under a stack of mounts (last covering wins). */
const stateIn = (stack: readonly Layer[], path: string): MountState | undefined => {
  for (let i = stack.length - 1; i >= 0; i--) if (isWithin(path, stack[i]!.at)) return stack[i]!.state;
  return undefined;
};

function bwrapState(policy: Policy, tmp: string): (p: string) => MountState | undefined {
  const plan = planMounts(policy);
  const stack: Layer[] = [{ at: "/", state: "ro" }];
  const remount = (at: string): void => {
    // --remount-ro: the topmost mount whose mount point is exactly `at`.
    for (let i = stack.length - 1; i >= 0; i--)
      if (stack[i]!.at === at) {
        if (stack[i]!.state === "rw") stack[i]!.state = "ro";
        return;
      }
  };
  for (const op of plan.ops) {
    if (op.op === "remount-ro") continue;
    stack.push({
      at: op.path,
      state: op.op === "bind" ? (op.writable ? "rw" : "ro") : "masked",
    });
  }
  stack.push({ at: policy.context.stateDir, state: "masked" }, { at: tmp, state: "rw" });
  remount(policy.context.stateDir);
  for (const op of plan.ops) if (op.op === "remount-ro") remount(op.path);
  return (p) => stateIn(stack, p);
}

function ociState(a: OciArtifact, tmp: string): (p: string) => MountState | undefined {
  const stack: Layer[] = [{ at: "/", state: "ro" }];
  for (const m of a.config.mounts) {
    if (m.type !== "bind") continue;
    const at = typeof m.destination === "string" ? m.destination : tmp;
    const masks = typeof m.source === "object" && ("skeleton" in m.source || m.source.slot === "void");
    const ro = m.options.includes("rro") || m.options.includes("ro");
    stack.push({ at, state: masks ? "masked" : ro ? "ro" : "rw" });
  }
  return (p) => stateIn(stack, p);
}

function differences(policy: Policy): string[] {
  const tmp = `${policy.context.stateDir}/runs/x/tmp`;
  const artifact = lowerOci(policy, { arch: "x86_64", root: rootFor(policy) });
  const bwrap = bwrapState(policy, tmp);
  const oci = ociState(artifact, tmp);
  const paths = new Set<string>([policy.context.stateDir, tmp]);
  for (const r of policy.filesystem.rules) if (r.kind === "path") paths.add(r.path);
  for (const m of artifact.config.mounts) if (typeof m.destination === "string") paths.add(m.destination);
  const out: string[] = [];
  for (const p of [...paths].flatMap((p) => [p, child(p)])) {
    if (isWithin(p, "/dev") || isWithin(p, "/proc")) continue;
    const [b, o] = [bwrap(p), oci(p)];
    if (b !== o) out.push(`${p}: bwrap ${String(b)}, oci ${String(o)}`);
  }
  // Every skeleton holds the mount points of what lands on it (runc would have to create them in a read-only bind).
  artifact.skeletons.slice(1).forEach((s, i) => {
    const ix = i + 1;
    const at = artifact.config.mounts.findIndex(
      (m) => typeof m.source === "object" && "skeleton" in m.source && m.source.skeleton === ix,
    );
    for (const m of artifact.config.mounts.slice(at + 1)) {
      if (typeof m.destination !== "string" || m.destination === s.covers || !isWithin(m.destination, s.covers))
        continue;
      const rel = m.destination.slice(s.covers.length + 1);
      if (!s.entries.some((e) => e.path === rel)) out.push(`skeleton of ${s.covers} lacks the mount point ${rel}`);
    }
  });

  return out;
}

const fixturePolicies = listFixtures().flatMap((name) => {
  const policy = compileFixture(loadFixture(name)).policy;
  return policy === undefined || policy.context.platform !== "linux" ? [] : [[name, policy] as const];
});

describe("OCI bundle and bwrap sandbox: the same mounts", () => {
  it("there are Linux fixtures to compare", () => expect(fixturePolicies.length).toBeGreaterThan(10));

  it.each(fixturePolicies)("fixture %s", (_, policy) => {
    expect(differences(policy)).toEqual([]);
  });

  it("random policies compiled for Linux", () => {
    fc.assert(
      fc.property(randomPolicy("linux"), (policy) => {
        expect(differences(policy)).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it("the model sees a difference: a write deny lowered as a writable bind is caught", () => {
    const [, policy] = fixturePolicies.find(([n]) => n === "deny-inside-allow")!;
    const artifact = lowerOci(policy, { arch: "x86_64", root: rootFor(policy) });
    const broken: OciArtifact = {
      ...artifact,
      config: {
        ...artifact.config,
        mounts: artifact.config.mounts.map((m) =>
          m.why.startsWith("read-only again") ? { ...m, options: ["rbind", "rw"] } : m,
        ),
      },
    };
    const tmp = `${policy.context.stateDir}/runs/x/tmp`;
    const b = bwrapState(policy, tmp);
    const o = ociState(broken, tmp);
    const denied = policy.filesystem.rules.find(
      (r) => r.kind === "path" && r.access === "write" && r.effect === "deny" && r.origin.startsWith("/filesystem"),
    );
    expect(denied).toBeDefined();
    const p = denied!.kind === "path" ? denied!.path : "";
    expect(b(p)).toBe("ro");
    expect(o(p)).toBe("rw");
  });
});
