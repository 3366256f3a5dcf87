/**
 * Keys of the reference tool (@anthropic-ai/sandbox-runtime ≤ 0.0.83): every one is accepted with
 * its meaning, warned where it does nothing, refused only where issue 16's features are missing;
 * a key no tool defines stays an unknown-key error with a suggestion.
 */
import { describe, expect, it } from "vitest";
import { foreignKeys } from "../../src/compiler/foreign-keys.js";
import { compileSettings, type Target } from "../../src/compiler/index.js";
import { parseHostPattern } from "../../src/compiler/domains/index.js";
import { applyEnvPolicy } from "../../src/compiler/env-policy.js";
import schema from "../../schema/settings.schema.json" with { type: "json" };
import { createFixtureHost } from "../support/fixture-host.js";

const host = createFixtureHost(
  { dirs: ["/home/u/proj", "/home/u/proj/sub", "/etc", "/usr/bin", "/var", "/srv"], files: ["/home/u/.bashrc"] },
  { cwd: "/home/u/proj", home: "/home/u" },
);
const compile = (settings: unknown, target: Target = "linux") =>
  compileSettings({ text: JSON.stringify(settings), file: "/home/u/s.json", host, target });
const codes = (r: ReturnType<typeof compile>) => r.diagnostics.map((d) => `${d.code} ${d.pointer}`);

/**
 * Every key of the reference tool's config schema in 0.0.83 (sandbox-config.js), with a value of its
 * type. The issue-16 keys (parentProxy, tlsTerminate, credentials, the request filters) are not here:
 * they stay refused until that issue lands.
 */
const reference083 = {
  network: {
    allowedDomains: ["github.com", "*.npmjs.org", "localhost:3000"],
    deniedDomains: ["*:22", "malicious.com"],
    deniedDomainReasons: { "*:22": "SSH is blocked; use https" },
    strictAllowlist: true,
    deniedResolvedAddresses: ["10.0.0.0/8"],
    allowUnixSockets: [],
    allowAllUnixSockets: false,
    allowLocalBinding: false,
    allowMachLookup: ["com.example.service", "com.example.*"],
    httpProxyPort: 3128,
    socksProxyPort: 1080,
    mitmProxy: { socketPath: "/tmp/mitm.sock", domains: ["github.com"] },
  },
  filesystem: {
    disabled: false,
    denyRead: ["~/.ssh"],
    allowRead: [],
    allowWrite: ["."],
    denyWrite: [{ path: ".env", literal: true }],
    allowGitConfig: false,
  },
  ignoreViolations: { "*": ["/usr/bin"] },
  enableWeakerNestedSandbox: false,
  allowNestedUserNamespaces: false,
  enableWeakerNetworkIsolation: false,
  allowAppleEvents: false,
  ripgrep: { command: "rg", args: ["--hidden"], argv0: "rg" },
  mandatoryDenySearchDepth: 3,
  allowPty: false,
  seccomp: { applyPath: "/opt/apply-seccomp", argv0: "apply-seccomp" },
  bwrapPath: "/usr/bin/bwrap",
  socatPath: "/usr/bin/socat",
  javaAgentJarPath: "/opt/srt-proxy-agent.jar",
  windows: {
    backend: "srt-win",
    sandboxUser: "sbx",
    sublayerGuid: "g",
    wfpSublayerGuid: "g",
    proxyPortRange: [40000, 40100],
    srtWin: { path: "C:/srt-win.exe" },
  },
  git: { safeDirectories: ["sub"] },
};

describe("the table of foreign keys", () => {
  it("every row names its tool and the release that introduced it; keys are unique", () => {
    const since = {
      "sandbox-runtime": /^0\.0\.\d+$/,
      "permission dialect": /^dialect$/,
      "sandbox-runtime-rs": /^0\.1\.0$/,
    };
    for (const f of foreignKeys) expect(f.since).toMatch(since[f.tool]);
    expect(new Set(foreignKeys.map((f) => f.key)).size).toBe(foreignKeys.length);
  });
  it("a key the schema accepts has a row only if it is accepted (never refused), and every refused row is not in the schema", () => {
    const props = (path: string[]): Record<string, unknown> => {
      const defs = (schema as { definitions: Record<string, { properties?: Record<string, unknown> }> }).definitions;
      const owner = path.length === 0 ? (schema as { properties: Record<string, unknown> }) : defs[path.join(".")];
      return owner?.properties ?? {};
    };
    for (const f of foreignKeys) {
      const parts = f.key.split(".");
      const inSchema = Object.hasOwn(props(parts.slice(0, -1)), parts.at(-1)!);
      const refused = ["not-supported-yet", "refused", "translated"].includes(f.handling.kind);
      expect(inSchema, f.key).toBe(!refused);
    }
  });
});

describe("every key of sandbox-runtime 0.0.83", () => {
  for (const target of ["linux", "macos"] as const) {
    it(`compiles for ${target} with warnings only, one per key that does nothing there`, () => {
      const r = compile(reference083, target);
      expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      expect(r.policy).toBeDefined();
      const foreign = codes(r).filter((c) => /^SRT13[01] /.test(c));
      const notNeeded = [
        "SRT131 /enableWeakerNetworkIsolation",
        "SRT131 /javaAgentJarPath",
        "SRT131 /ripgrep",
        "SRT131 /seccomp",
        "SRT131 /windows",
      ];
      const platform =
        target === "linux"
          ? ["SRT130 /allowAppleEvents", "SRT130 /network/allowMachLookup"]
          : ["SRT130 /bwrapPath", "SRT130 /socatPath"];
      expect(foreign.sort()).toEqual([...notNeeded, ...platform].sort());
    });
  }

  it("honoured keys reach the IR: reasons on deny rules, strictAllowlist, Mach services, safe directories, host tools", () => {
    const p = compile(reference083, "macos").policy!;
    const ssh = p.network.rules.find((r) => r.source === "*:22");
    expect(ssh).toMatchObject({ effect: "deny", host: { kind: "any" }, port: 22, reason: "SSH is blocked; use https" });
    expect(p.network.strictAllowlist).toEqual({ value: true, origin: "/network/strictAllowlist" });
    expect(p.network.machLookup?.names).toEqual(["com.example.*", "com.example.service"]);
    expect(p.env.gitSafeDirectories).toEqual({ paths: ["/home/u/proj/sub"], origin: "/git/safeDirectories" });
    expect(p.hostTools?.bwrap).toEqual({ path: "/usr/bin/bwrap", origin: "/bwrapPath" });
    expect(p.options.allowAppleEvents).toEqual({ value: false, origin: "/allowAppleEvents" });
  });

  it("the request filters reach the IR with their origins; filterRequest in a file is refused", () => {
    const p = compile({
      network: {
        refuseOpaqueTunnels: true,
        requireHostMatch: true,
        stripResponseHeaders: ["Set_Cookie", "x.secret"],
        allowPlaintextHeaderSet: false,
        ambiguousRequestTarget: "normalize",
        tlsTerminate: {},
      },
    }).policy!;
    expect(p.network.requestFilters).toEqual({
      refuseOpaqueTunnels: { value: true, origin: "/network/refuseOpaqueTunnels" },
      requireHostMatch: { value: true, origin: "/network/requireHostMatch" },
      allowPlaintextHeaderSet: { value: false, origin: "/network/allowPlaintextHeaderSet" },
      stripResponseHeaders: { names: ["set-cookie", "x-secret"], origin: "/network/stripResponseHeaders" },
      ambiguousRequestTarget: { value: "normalize", origin: "/network/ambiguousRequestTarget" },
    });
    const r = compile({ network: { filterRequest: {} } });
    expect(r.policy).toBeUndefined();
    const d = r.diagnostics.find((x) => x.pointer === "/network/filterRequest");
    expect(d?.code).toBe("SRT111");
    expect(d?.message).toContain("createSandbox");
  });

  it("the issue-16 keys that landed compile: parentProxy, tlsTerminate, credentials, awsPairs, sigv4", () => {
    for (const settings of [
      { credentials: { awsPairs: [] } },
      { credentials: { sigv4: { streaming: "deny" } } },
      { network: { parentProxy: { http: "http://p:8080" } } },
      { network: { tlsTerminate: {} } },
      { credentials: { envVars: [] } },
    ])
      expect(compile(settings).diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  });

  it("a key no tool defines is still SRT110 with did-you-mean", () => {
    const r = compile({ network: { strictAllowList: true }, gti: {} });
    expect(r.diagnostics.map((d) => [d.code, d.pointer, d.hint])).toEqual([
      ["SRT110", "/gti", 'did you mean "git"?'],
      ["SRT110", "/network/strictAllowList", 'did you mean "strictAllowlist"?'],
    ]);
  });
});

describe("semantics of single keys", () => {
  it("strictAllowlist false is accepted silently: it is the default in both tools", () => {
    const r = compile({ network: { strictAllowlist: false } });
    expect(r.diagnostics).toEqual([]);
    expect(r.policy?.network.strictAllowlist?.value).toBe(false);
  });
  it("a reason for no deniedDomains entry warns (SRT132): keys match entries exactly", () => {
    const r = compile({ network: { deniedDomains: ["github.com:22"], deniedDomainReasons: { "github.com": "x" } } });
    expect(codes(r)).toEqual(["SRT132 /network/deniedDomainReasons/github.com"]);
    expect(r.policy?.network.rules[0]?.reason).toBeUndefined();
  });
  it("bwrapPath and socatPath must be absolute (SRT133): srt never looks tools up on PATH", () => {
    const r = compile({ bwrapPath: "bwrap", socatPath: "/usr/../tmp/socat" });
    expect(codes(r)).toEqual(["SRT133 /bwrapPath", "SRT133 /socatPath"]);
    expect(r.policy).toBeUndefined();
  });
  it("filesystem.disabled: no rule of the settings and no mandatory deny; system program dirs stay read-only", () => {
    const r = compile({ filesystem: { disabled: true, denyRead: ["~/.ssh"], denyWrite: [".env"] } });
    expect(codes(r)).toEqual(["SRT134 /filesystem/disabled"]);
    const rules = r.policy!.filesystem.rules;
    expect(
      rules.every((x) => x.origin === "/filesystem/disabled" && x.access === "write" && x.effect === "allow"),
    ).toBe(true);
    expect(rules.map((x) => (x.kind === "path" ? x.path : x.pattern))).toEqual(["/etc", "/home", "/srv", "/var"]);
    expect(r.policy!.filesystem.disabled).toBe("/filesystem/disabled");
  });
  it("filesystem.disabled: false changes nothing", () => {
    const on = compile({ filesystem: { disabled: false, denyRead: ["~/.ssh"] } });
    const off = compile({ filesystem: { denyRead: ["~/.ssh"] } });
    expect(on.policy?.filesystem).toEqual(off.policy?.filesystem);
  });
  it("allowAppleEvents true is a weakening warning on macOS and has no effect on Linux", () => {
    expect(codes(compile({ allowAppleEvents: true }, "macos"))).toEqual(["SRT134 /allowAppleEvents"]);
    expect(codes(compile({ allowAppleEvents: true }, "linux"))).toEqual(["SRT130 /allowAppleEvents"]);
  });
});

describe('"*:PORT" in deniedDomains', () => {
  it("denies one port on every host; refused in allowedDomains", () => {
    expect(parseHostPattern("*:22", "deny")).toEqual({ ok: true, host: { kind: "any" }, port: 22 });
    const allow = parseHostPattern("*:443", "allow");
    expect(allow.ok).toBe(false);
    expect(parseHostPattern("*:0", "deny").ok).toBe(false);
    expect(parseHostPattern("*.co.uk:22", "deny")).toMatchObject({ ok: false });
  });
});

describe("git.safeDirectories in the environment", () => {
  const policy = { inherit: "all" as const, allow: [], deny: [], origin: "default" as const };
  const safe = { paths: ["/w", "/"], origin: "/git/safeDirectories" as const };
  it("each directory as itself and DIR/*, numbered after the caller's own entries", () => {
    const { passed } = applyEnvPolicy(
      { ...policy, gitSafeDirectories: safe },
      { GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "core.pager", GIT_CONFIG_VALUE_0: "cat" },
    );
    expect(passed).toMatchObject({
      GIT_CONFIG_COUNT: "5",
      GIT_CONFIG_KEY_0: "core.pager",
      GIT_CONFIG_KEY_1: "safe.directory",
      GIT_CONFIG_VALUE_1: "/w",
      GIT_CONFIG_VALUE_2: "/w/*",
      GIT_CONFIG_VALUE_3: "/",
      GIT_CONFIG_VALUE_4: "/*",
    });
  });
  it("an explicit GIT_CONFIG_COUNT=0 of the caller is respected (no git config from the environment)", () => {
    const { passed } = applyEnvPolicy({ ...policy, gitSafeDirectories: safe }, { GIT_CONFIG_COUNT: "0" });
    expect(passed).toEqual({ GIT_CONFIG_COUNT: "0" });
  });
});

describe("the macOS Rust port's own keys (sandbox-runtime-rs 0.1.0)", () => {
  it("each is read with the port's meaning, a SRT136 warning each, rules keeping the port's key as origin", () => {
    const r = compile({
      filesystem: { allowed_paths: ["/tmp/**"], blocked_paths: ["/etc/shadow"] },
      network: { enabled: true, allowed_domains: ["api.github.com"] },
    });
    expect(r.policy).toBeDefined();
    expect(
      codes(r)
        .filter((c) => c.startsWith("SRT136"))
        .sort(),
    ).toEqual([
      "SRT136 /filesystem/allowed_paths",
      "SRT136 /filesystem/blocked_paths",
      "SRT136 /network/allowed_domains",
      "SRT136 /network/enabled",
    ]);
    const origins = JSON.stringify(r.policy);
    expect(origins).toContain("/filesystem/allowed_paths/0");
    expect(origins).toContain("/filesystem/blocked_paths/0");
    expect(origins).toContain("/network/allowed_domains/0");
  });

  it("enabled false (or absent) is no network, whatever allowed_domains lists", () => {
    const r = compile({ network: { enabled: false, allowed_domains: ["api.github.com"] } });
    expect(JSON.stringify(r.policy)).not.toContain("api.github.com");
  });

  it("a port key next to srt's key for the same thing is refused (SRT137)", () => {
    const r = compile({ filesystem: { blocked_paths: ["/etc/shadow"], denyRead: ["/x"] } });
    expect(r.policy).toBeUndefined();
    expect(codes(r)).toContain("SRT137 /filesystem/blocked_paths");
  });

  it("a relative blocked path, which srt would read below the working directory only, is refused (SRT138)", () => {
    const r = compile({ filesystem: { blocked_paths: ["**/.env"] } });
    expect(r.policy).toBeUndefined();
    expect(codes(r)).toContain("SRT138 /filesystem/blocked_paths/0");
  });

  it("an unknown snake_case key stays an error", () => {
    const r = compile({ filesystem: { allowed_paths: ["/tmp/**"], readonly_paths: ["/x"] } });
    expect(r.policy).toBeUndefined();
    expect(codes(r)).toContain("SRT110 /filesystem/readonly_paths");
  });
});
