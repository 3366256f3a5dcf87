/** `srt compile --target k8s` and `srt explain --target k8s`, run as a user would. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { runSrt } from "../support/cli.js";

const dir = mkdtempSync(join(tmpdir(), "srt-k8s-cli-"));
const home = join(dir, "home");
const proj = join(home, "proj");
mkdirSync(proj, { recursive: true });
const env = { HOME: home };
const settings = (name: string, s: object): string => {
  const f = join(proj, name);
  writeFileSync(f, JSON.stringify(s));
  return f;
};
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("srt compile --target k8s", () => {
  it("-o DIR writes the objects and the node's seccomp file", () => {
    const f = settings("net.json", { network: { allowedDomains: ["github.com"] } });
    const out = join(dir, "out");
    const r = runSrt(["compile", "--target", "k8s", f, "--name", "agent-7", "--namespace", "agents", "-o", out], {
      cwd: proj,
      env,
    });
    expect(r.status, r.stderr).toBe(0);
    const docs = parseAllDocuments(readFileSync(join(out, "srt.yaml"), "utf8")).map(
      (d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string } },
    );
    expect(docs.map((d) => d.kind)).toEqual(
      expect.arrayContaining(["SeccompProfile", "Deployment", "Service", "NetworkPolicy", "Pod"]),
    );
    expect(docs.every((d) => d.metadata.namespace === "agents")).toBe(true);
    const profile = JSON.parse(readFileSync(join(out, "seccomp", "agent-7.json"), "utf8")) as { defaultAction: string };
    expect(profile.defaultAction).toBe("SCMP_ACT_ALLOW");
    const pod = docs.find((d) => d.kind === "Pod") as unknown as {
      spec: { securityContext: { seccompProfile: { localhostProfile: string } } };
    };
    expect(pod.spec.securityContext.seccompProfile.localhostProfile).toBe("srt/agent-7.json");
  });

  it("never writes through a link planted at an output's name", () => {
    const f = settings("plain.json", {});
    const out = join(dir, "linked");
    mkdirSync(out);
    const victim = join(dir, "victim");
    writeFileSync(victim, "keep");
    symlinkSync(victim, join(out, "srt.yaml"));
    const r = runSrt(["compile", "--target", "k8s", f, "-o", out], { cwd: proj, env });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/symbolic link/);
    expect(readFileSync(victim, "utf8")).toBe("keep");
  });

  it("a deny Cilium cannot hold is an error: exit 2 and nothing written", () => {
    const f = settings("carve.json", {
      network: { allowedDomains: ["*.example.com"], deniedDomains: ["evil.example.com"] },
    });
    const out = join(dir, "cilium");
    const r = runSrt(["compile", "--target", "k8s", f, "--egress", "cilium", "-o", out], { cwd: proj, env });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/SRT642.*evil\.example\.com/);
    expect(existsSync(join(out, "srt.yaml"))).toBe(false);
  });

  it("--seccomp-profile names the operator's path in the pod; a path climbing out is refused", () => {
    const f = settings("spo.json", {});
    const r = runSrt(["compile", "--target", "k8s", f, "--seccomp-profile", "operator/agents/srt-sandbox.json"], {
      cwd: proj,
      env,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("localhostProfile: operator/agents/srt-sandbox.json");
    const bad = runSrt(["compile", "--target", "k8s", f, "--seccomp-profile", "../../etc/x.json"], { cwd: proj, env });
    expect(bad.status).toBe(2);
  });

  it("k8s flags are refused for other targets, and bad values name the flag", () => {
    const f = settings("plain2.json", {});
    expect(runSrt(["compile", "--target", "linux", f, "--name", "x"], { cwd: proj, env }).status).toBe(2);
    const bad = runSrt(["compile", "--target", "k8s", f, "--volumes", "nfs"], { cwd: proj, env });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--volumes nfs/);
  });
});

describe("srt explain --target k8s", () => {
  it("says what holds on a cluster and what differs", () => {
    const f = settings("explain.json", { network: { allowedDomains: ["localhost:3000", "github.com"] } });
    const r = runSrt(["explain", "--target", "k8s", f], { cwd: proj, env });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/On a Kubernetes cluster/);
    expect(r.stdout).toMatch(/NetworkPolicy is enforced only by a network plugin/);
    expect(r.stdout).toMatch(/SRT640: allow localhost:3000/);
  });
});
