/**
 * The Docker lowering (src/backends/oci/docker-args.ts), pure:
 *   - parity: Docker orders mounts by destination depth, not as given; the
 *     binds it gets leave every path read-write, read-only or masked exactly
 *     as the OCI bundle does (itself checked against bwrap in parity.test.ts),
 *     for every fixture and random policies;
 *   - a read-only bind's host submounts are each bound read-only (Docker 20.10
 *     has no recursive read-only bind), but container engines' stores are
 *     hidden behind an empty read-only directory, their mounts not bound;
 *   - with an image, only what the command sees of the host is bound;
 *   - environment values never reach the argv; srt's seccomp profile, no
 *     capabilities and no-new-privileges always do;
 *   - a volume that would open what the policy closes is refused.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lowerOci, lowerOciPlan, type OciArtifact, type RootEntry } from "../../src/backends/oci/index.js";
import { dockerBinds, dockerRunArgs, mountArg, type DockerRunInput } from "../../src/backends/oci/docker-args.js";
import type { Policy } from "../../src/compiler/index.js";
import { isWithin } from "../../src/compiler/paths.js";
import { volumeProblem } from "../../src/cli/docker-options.js";
import { compileFixture, listFixtures, loadFixture } from "../support/fixtures.js";
import { debianRoot } from "../support/golden-artifacts.js";
import { randomPolicy } from "../seatbelt/random-policy.js";

type State = "rw" | "ro" | "masked";
const slots = { tmp: "/state/runs/x/tmp", void: "/state/runs/x/void" };
const bundle = "/state/runs/x/bundle";

function rootFor(policy: Policy): RootEntry[] {
  const names = new Set(debianRoot.map((e) => e.name));
  const extra = policy.filesystem.rules
    .map((r) => (r.kind === "path" ? r.path : r.pattern).split("/")[1])
    .filter((n): n is string => n !== undefined && n !== "" && !names.has(n));
  return [...debianRoot, ...[...new Set(extra)].map((name) => ({ name, kind: "dir" as const }))];
}

const input = (artifact: OciArtifact, over: Partial<DockerRunInput> = {}): DockerRunInput => ({
  artifact,
  slots,
  bundle,
  exists: () => true,
  submounts: () => [],
  command: ["sh", "-c", "true"],
  env: {},
  user: "1000:1000",
  image: "srt-root:x",
  imageRoot: false,
  name: "n",
  labels: {},
  network: { kind: "none" },
  supervisor: { binary: "/srt/dist/native/srt-supervise", socket: "/state/runs/x/supervise.sock" },
  workdir: "/w",
  autoRemove: true,
  limits: {},
  volumes: [],
  interactive: true,
  ...over,
});

const stateIn = (stack: readonly { at: string; state: State }[], p: string): State | undefined => {
  for (let i = stack.length - 1; i >= 0; i--) if (isWithin(p, stack[i]!.at)) return stack[i]!.state;
  return undefined;
};

/** The OCI bundle's mount stack, in order (parity.test.ts's model). */
function ociStack(a: OciArtifact): { at: string; state: State }[] {
  return a.config.mounts.flatMap((m) => {
    if (m.type !== "bind") return [];
    const at = typeof m.destination === "string" ? m.destination : slots.tmp;
    const masks = typeof m.source === "object" && ("skeleton" in m.source || m.source.slot === "void");
    return [{ at, state: masks ? "masked" : m.options.includes("rro") || m.options.includes("ro") ? "ro" : "rw" }];
  });
}

/** Docker's: its binds sorted by destination depth (stable), as the daemon mounts them. */
function dockerStack(a: OciArtifact): { at: string; state: State }[] {
  const { binds } = dockerBinds(input(a));
  const depth = (p: string): number => (p === "/" ? 0 : p.split("/").length - 1);
  return binds
    .map((b, i) => ({ b, i }))
    .sort((x, y) => depth(x.b.target) - depth(y.b.target) || x.i - y.i)
    .map(({ b }) => ({
      at: b.target,
      state: b.source.startsWith(`${bundle}/`) || b.source === slots.void ? "masked" : b.readonly ? "ro" : "rw",
    }));
}

function differences(policy: Policy): string[] {
  const a = lowerOci(policy, { arch: "x86_64", root: rootFor(policy) });
  const oci = ociStack(a);
  const docker = dockerStack(a);
  const paths = new Set<string>([policy.context.stateDir, slots.tmp]);
  for (const r of policy.filesystem.rules) if (r.kind === "path") paths.add(r.path);
  for (const m of oci) paths.add(m.at);
  const out: string[] = [];
  for (const p of [...paths].flatMap((p) => [p, p === "/" ? "/probe" : `${p}/probe`])) {
    if (["/dev", "/proc", "/sys"].some((e) => isWithin(p, e))) continue;
    const [o, d] = [stateIn(oci, p), stateIn(docker, p)];
    if (o !== d) out.push(`${p}: oci ${String(o)}, docker ${String(d)}`);
  }
  return out;
}

const fixturePolicies = listFixtures().flatMap((name) => {
  const policy = compileFixture(loadFixture(name)).policy;
  return policy === undefined || policy.context.platform !== "linux" ? [] : [[name, policy] as const];
});

const [, policy] = fixturePolicies.find(([n]) => n === "deny-inside-allow")!;
const artifact = lowerOci(policy, { arch: "x86_64", root: rootFor(policy) });

describe("docker run arguments from the OCI artifact", () => {
  it.each(fixturePolicies)("fixture %s: the same mounts as the OCI bundle, in Docker's depth order", (_, policy) => {
    expect(differences(policy)).toEqual([]);
  });

  it("random policies: the same mounts", () => {
    fc.assert(
      fc.property(randomPolicy("linux"), (policy) => {
        expect(differences(policy)).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it("the model sees a difference: without dropping covered mounts, depth order changes what is seen", () => {
    // A bind made after a deeper one hides it in bwrap's order; Docker would mount it first.
    const deeper = "/usr/share";
    const broken: OciArtifact = {
      ...artifact,
      config: {
        ...artifact.config,
        mounts: [
          { destination: deeper, type: "bind", source: deeper, options: ["rbind", "rw"], why: "t" },
          ...artifact.config.mounts,
        ],
      },
    };
    expect(ociStack(broken).some((m) => m.at === deeper)).toBe(true);
    expect(dockerBinds(input(broken)).binds.some((b) => b.target === deeper)).toBe(false);
  });

  it("binds each host submount below a read-only bind read-only", () => {
    const { binds } = dockerBinds(
      input(artifact, { submounts: (p) => (p === "/home" ? ["/home/disk", "/home/disk/inner"] : []) }),
    );
    expect(binds.filter((b) => b.target.startsWith("/home/disk"))).toEqual([
      { source: "/home/disk", target: "/home/disk", readonly: true },
      { source: "/home/disk/inner", target: "/home/disk/inner", readonly: true },
    ]);
  });

  it("hides container engines' stores behind an empty read-only directory and binds none of their mounts", () => {
    const store = "/home/docker/overlay2";
    const engineMask = { stores: [store, "/srv/netns"], empty: "/state/runs/x/engine-store" };
    const { binds } = dockerBinds(
      input(artifact, {
        engineMask,
        submounts: (p) => (p === "/home" ? ["/home/docker", `${store}/c1/merged`, `${store}/c1/merged/proc`] : []),
        volumes: [{ source: "/srv", target: "/data", readonly: false }],
      }),
    );
    expect(binds.filter((b) => b.target.startsWith("/home/docker"))).toEqual([
      { source: "/home/docker", target: "/home/docker", readonly: true },
      { source: engineMask.empty, target: store, readonly: true },
    ]);
    // Below a writable volume too, where the store has its own path.
    expect(binds.filter((b) => b.target.startsWith("/data"))).toEqual([
      { source: "/srv", target: "/data", readonly: false },
      { source: engineMask.empty, target: "/data/netns", readonly: true },
    ]);
    // Docker orders by depth: the mask is deeper than every bind holding the store, so it is on top.
    const holders = binds.filter((b) => isWithin(store, b.target) && b.target !== store);
    expect(holders.length).toBeGreaterThan(0);
  });

  it("with an image: no host directory but the writable roots, the volumes and what lies below them", () => {
    const { binds } = dockerBinds(
      input(artifact, { imageRoot: true, volumes: [{ source: "/data", target: "/app", readonly: true }] }),
    );
    const writable = binds.filter((b) => !b.readonly).map((b) => b.target);
    expect(writable.length).toBeGreaterThan(0);
    for (const b of binds)
      expect(
        [...writable, "/app"].some((w) => isWithin(b.target, w)),
        b.target,
      ).toBe(true);
    expect(binds.some((b) => b.target === "/usr")).toBe(false);
  });

  it("confines every container and keeps environment values out of the argv", () => {
    const run = dockerRunArgs(input(artifact, { env: { SECRET: "s3cr3t", DOCKER_X: "1" } }));
    const text = run.args.join("\n");
    expect(text).not.toContain("s3cr3t");
    expect(run.clientEnv).toEqual({ SECRET: "s3cr3t" });
    for (const flag of ["--read-only", "no-new-privileges", "--rm"]) expect(run.args).toContain(flag);
    expect(run.args.join(" ")).toContain("--cap-drop ALL");
    expect(run.args.join(" ")).toContain("--pull never");
    expect(run.args).not.toContain("--privileged");
  });

  it("runs srt's supervisor first, bound read-only, and no filter of Docker's own", () => {
    const run = dockerRunArgs(input(artifact, { command: ["sh", "-c", "id"] }));
    const at = run.args.indexOf("--entrypoint");
    expect(run.args.slice(at)).toEqual([
      "--entrypoint",
      "/.srt-supervise",
      "srt-root:x",
      "--connect",
      "/.srt-supervise.sock",
      "--",
      "sh",
      "-c",
      "id",
    ]);
    // Docker's ERRNO rules would pre-empt the supervisor's notify rules: its filter is the only one.
    expect(run.args).toContain("seccomp=unconfined");
    expect(run.args).toContain("type=bind,source=/srt/dist/native/srt-supervise,target=/.srt-supervise,readonly");
    expect(run.args).toContain("type=bind,source=/state/runs/x/supervise.sock,target=/.srt-supervise.sock,readonly");
  });

  it("binds masked credential files read-only over everything else, volumes included", () => {
    const { binds } = dockerBinds(
      input(artifact, {
        volumes: [{ source: "/data", target: "/home/u", readonly: false }],
        overlays: [{ source: "/state/runs/x/masks/0", dest: "/home/u/.npmrc" }],
      }),
    );
    expect(binds.at(-1)).toEqual({ source: "/state/runs/x/masks/0", target: "/home/u/.npmrc", readonly: true });
    expect(binds.at(-2)).toEqual({ source: "/data", target: "/home/u", readonly: false });
  });

  it("quotes --mount fields as CSV", () => {
    expect(mountArg(["type=bind", "source=/a,b", 'target=/c"d'])).toBe('type=bind,"source=/a,b","target=/c""d"');
  });
});

describe("docker volumes against the policy", () => {
  const plan = lowerOciPlan(policy, "x86_64", rootFor(policy));
  const writableRoot = plan.oci.mounts.ops.find((o) => o.op === "bind" && o.writable)!.path;
  const readOnlyAgain = plan.oci.mounts.ops.find((o) => o.op === "bind" && !o.writable && o.why === "write-deny");

  it("takes a writable volume of a writable path with nothing protected below", () => {
    const below = plan.oci.mounts.ops.some((o) => o.path !== writableRoot && isWithin(o.path, writableRoot));
    expect(volumeProblem(plan, `${writableRoot}/srt-free-dir`, false)).toBeUndefined();
    if (!below) expect(volumeProblem(plan, writableRoot, false)).toBeUndefined();
  });

  it("refuses a writable volume of a read-only path, or of one holding a protected path", () => {
    expect(volumeProblem(plan, "/etc", false)).toMatch(/not writable under the policy/);
    expect(volumeProblem(plan, "/etc", true)).toBeUndefined();
    expect(readOnlyAgain).toBeDefined();
    expect(volumeProblem(plan, readOnlyAgain!.path, false)).toMatch(/not writable/);
    expect(volumeProblem(plan, "/", false)).toMatch(/state directory/);
  });

  it("refuses any volume of srt's state directory or of a hidden path", () => {
    expect(volumeProblem(plan, plan.context.stateDir, true)).toMatch(/state directory/);
    const mask = plan.oci.mounts.ops.find((o) => o.op === "mask-dir" || o.op === "mask-file");
    if (mask !== undefined) expect(volumeProblem(plan, mask.path, true)).toMatch(/hidden/);
  });
});
