/**
 * Parity: whatever the IR denies, both artifacts deny; every writable root
 * the IR grants is writable in both. macOS is checked through the SBPL
 * evaluator (evaluate.ts), Linux through a model of bubblewrap's mount
 * stacking (each later mount covering a path replaces what was visible
 * there). Known differences in meaning are not silenced here: they are what
 * platformDifferences() reports, and the tests below skip only those.
 */
import fc from "fast-check";
import picomatch from "picomatch";
import { describe, expect, it } from "vitest";
import { planMounts, type MountPlan, type MountState } from "../../src/backends/bwrap/index.js";
import { lowerSeatbelt, renderSeatbelt, mandatoryNames } from "../../src/backends/seatbelt/index.js";
import type { GlobRule, PathRule, Policy } from "../../src/compiler/index.js";
import { globOptions, isWithin } from "../../src/compiler/paths.js";
import { compileFixture, listFixtures, loadFixture } from "../support/fixtures.js";
import { createEvaluator, type FileOp } from "./evaluate.js";
import { proxy } from "./policy-fixtures.js";
import { randomPolicy } from "./random-policy.js";

const privateTmp = "/private/tmp/srt-run";
const probe = "srt-parity-probe";
const child = (p: string): string => (p === "/" ? `/${probe}` : `${p}/${probe}`);
const depth = (p: string): number => (p === "/" ? 0 : p.split("/").length - 1);
const underVirtual = (p: string): boolean => isWithin(p, "/dev") || isWithin(p, "/proc");

/** bwrap applies mounts in order, each on top: the last one covering a path decides what is there. */
function linuxState(plan: MountPlan, path: string): MountState {
  let state: MountState = "ro"; // --ro-bind / /
  for (const op of plan.ops) {
    if (!isWithin(path, op.path)) continue;
    if (op.op === "bind") state = op.writable ? "rw" : "ro";
    else if (op.op === "mask-dir" || op.op === "mask-file") state = "masked";
    else if (state === "rw") state = "ro"; // remount-ro
  }
  return state;
}

/** The IR's own reading of literal rules: the deepest rule on the path or an ancestor decides, deny wins a tie. */
function literalVerdict(policy: Policy, access: "read" | "write", path: string): "allow" | "deny" | undefined {
  let best: PathRule | undefined;
  for (const r of policy.filesystem.rules) {
    if (r.kind !== "path" || r.access !== access || !isWithin(path, r.path)) continue;
    if (best === undefined || depth(r.path) > depth(best.path) || (r.path === best.path && r.effect === "deny"))
      best = r;
  }
  return best?.effect;
}

const globDenies = (policy: Policy, path: string): GlobRule[] => {
  const ancestors = path.split("/").map((_, i, segs) => segs.slice(0, i + 1).join("/") || "/");
  return policy.filesystem.rules.filter(
    (r): r is GlobRule =>
      r.kind === "glob" && r.effect === "deny" && ancestors.some((a) => picomatch(r.pattern, globOptions)(a)),
  );
};

/** Segments that Seatbelt protects at any depth (mandatory-regex.ts) — more than the IR lists. */
const mandatorySegments = new Set(
  Object.values(mandatoryNames).flatMap((ns: readonly string[]) => ns.map((n) => n.split("/")[0]!)),
);

interface Finding {
  readonly platform: "macos" | "linux";
  readonly what: string;
}

/** Every way the two artifacts fail the IR; empty when both keep it. */
function parityFindings(policy: Policy, opts: { linux: boolean }): Finding[] {
  // Under tlsTerminate the profile also reads where srt's CA files are: beside the private temp dir, as at run time.
  const verdict = createEvaluator(renderSeatbelt(lowerSeatbelt(policy, { proxy })), {
    SRT_PRIVATE_TMP: privateTmp,
    SRT_TLS_CA: `${privateTmp}-ca.pem`,
    SRT_TLS_BUNDLE: `${privateTmp}-ca-bundle.pem`,
  });
  const plan = planMounts(policy);
  const out: Finding[] = [];
  const mac = (op: FileOp, path: string, want: "allow" | "deny", why: string): void => {
    if (verdict(op, path) !== want)
      out.push({ platform: "macos", what: `${op} ${JSON.stringify(path)} should be ${want}: ${why}` });
  };
  const linux = (path: string, ok: (s: MountState) => boolean, why: string): void => {
    if (!opts.linux || underVirtual(path)) return;
    const s = linuxState(plan, path);
    if (!ok(s)) out.push({ platform: "linux", what: `${JSON.stringify(path)} is ${s}: ${why}` });
  };
  const rules = policy.filesystem.rules;
  const allowsInside = (access: "read" | "write", p: string): boolean =>
    rules.some(
      (r) => r.kind === "path" && r.access === access && r.effect === "allow" && r.path !== p && isWithin(r.path, p),
    );

  for (const r of rules) {
    if (r.kind !== "path" || r.effect !== "deny") continue;
    const why = `${r.origin} denies ${r.access} of ${r.path}`;
    const spellings = r.via.kind === "symlink" ? [r.path, r.via.spelled] : [r.path];
    for (const p of spellings) {
      const below = !allowsInside(r.access, p) ? [p, child(p)] : [p];
      if (r.access === "read") {
        for (const q of below) mac("file-read-data", q, "deny", why);
        // Linux: an absent path has nothing to mask (a listed difference), and "/" cannot be masked.
        if (r.node !== "absent" && p === r.path && r.path !== "/")
          for (const q of below) linux(q, (s) => s === "masked", why);
      } else {
        for (const q of below)
          for (const op of ["file-write-data", "file-write-create", "file-write-unlink"] as const)
            mac(op, q, "deny", why);
        if (p === r.path) linux(p, (s) => s !== "rw", why);
      }
    }
  }

  for (const g of rules) {
    if (g.kind !== "glob" || g.effect !== "deny") continue;
    // The glob's concrete matches and a child of each, plus its own text (picomatch matches it too).
    const matches = rules
      .filter((r): r is PathRule => r.kind === "path" && r.via.kind === "glob" && r.via.pattern === g.pattern)
      .map((r) => r.path);
    for (const p of [...matches, ...matches.map(child), g.pattern]) {
      if (
        literalVerdict(policy, g.access, p) === "allow" &&
        g.access === "read" &&
        !picomatch(g.pattern, globOptions)(p)
      )
        continue;
      mac(
        g.access === "read" ? "file-read-data" : "file-write-data",
        p,
        "deny",
        `${g.origin} glob ${g.pattern} covers it`,
      );
    }
  }

  const writable = (p: string): boolean =>
    literalVerdict(policy, "write", p) === "allow" &&
    literalVerdict(policy, "read", p) !== "deny" &&
    globDenies(policy, p).length === 0 &&
    !p.split("/").some((seg) => mandatorySegments.has(seg));
  for (const r of rules) {
    if (r.kind !== "path" || r.access !== "write" || r.effect !== "allow" || r.node === "absent") continue;
    const target = r.node === "file" || r.node === "other" ? r.path : child(r.path);
    if (!writable(target)) continue;
    const why = `${r.origin} makes ${r.path} writable`;
    mac(r.node === "file" || r.node === "other" ? "file-write-data" : "file-write-create", target, "allow", why);
    if (!rules.some((x) => x.kind === "path" && x.effect === "deny" && x.node !== "absent" && isWithin(target, x.path)))
      linux(r.path, (s) => s === "rw", why);
  }
  mac("file-write-create", child(privateTmp), "allow", "the private temp dir is always writable");
  return out;
}

const fixturePolicies = listFixtures().flatMap((name) => {
  const policy = compileFixture(loadFixture(name)).policy;
  return policy === undefined ? [] : [[name, policy] as const];
});

describe("parity with the IR", () => {
  // Found by the random Linux property below: planMounts gives an absent path that is both
  // read-denied and write-protected inside a writable root no placeholder (it treats it as
  // "masked", and masking an absent path is skipped), so the sandbox can create it.
  it("Linux: an absent ~/.bashrc-like path that is read-denied and write-protected stays uncreatable", () => {
    const rules: PathRule[] = [
      {
        kind: "path",
        access: "read",
        effect: "deny",
        path: "/w/.bashrc",
        node: "absent",
        via: { kind: "literal" },
        origin: "/filesystem/denyRead/0",
      },
      {
        kind: "path",
        access: "write",
        effect: "allow",
        path: "/w",
        node: "dir",
        via: { kind: "literal" },
        origin: "/filesystem/allowWrite/0",
      },
      {
        kind: "path",
        access: "write",
        effect: "deny",
        path: "/w/.bashrc",
        node: "absent",
        via: { kind: "literal" },
        origin: "mandatory:shell-config",
      },
    ];
    const policy = { ...fixturePolicies[0]![1], filesystem: { rules, privateTmp: true as const } };
    expect(linuxState(planMounts(policy), "/w/.bashrc")).not.toBe("rw");
    expect(parityFindings(policy, { linux: false })).toEqual([]);
  });

  it.each(fixturePolicies)(
    "fixture %s: macOS and Linux deny what the IR denies and grant its writable roots",
    (_, policy) => {
      expect(parityFindings(policy, { linux: true })).toEqual([]);
    },
  );

  it("random policies compiled for macOS", () => {
    fc.assert(
      fc.property(randomPolicy("macos"), (policy) => {
        expect(parityFindings(policy, { linux: false })).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it("random policies compiled for Linux", () => {
    fc.assert(
      fc.property(randomPolicy("linux"), (policy) => {
        expect(parityFindings(policy, { linux: true })).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });
});
