/** Hand-built Policy values for the Seatbelt tests: small, explicit, no Host. */
import type { Flag, FsRule, GlobRule, NetworkPolicy, Origin, PathRule, Policy } from "../../src/compiler/ir.js";

const flag = (value: boolean, origin: Origin = "default:flag"): Flag => ({ value, origin });

export function pathRule(
  access: PathRule["access"],
  effect: PathRule["effect"],
  path: string,
  extra: Partial<Omit<PathRule, "kind" | "access" | "effect" | "path">> = {},
): PathRule {
  return {
    kind: "path",
    access,
    effect,
    path,
    node: "dir",
    via: { kind: "literal" },
    origin: `/filesystem/${effect}${access === "read" ? "Read" : "Write"}/0`,
    ...extra,
  };
}

export function globRule(
  access: GlobRule["access"],
  effect: GlobRule["effect"],
  pattern: string,
  extra: Partial<Omit<GlobRule, "kind" | "access" | "effect" | "pattern">> = {},
): GlobRule {
  return {
    kind: "glob",
    access,
    effect,
    pattern,
    matches: 0,
    origin: `/filesystem/${effect}${access === "read" ? "Read" : "Write"}/9`,
    ...extra,
  };
}

export const mandatory = (path: string, rule: string, node: PathRule["node"] = "absent"): PathRule =>
  pathRule("write", "deny", path, { node, origin: `mandatory:${rule}` });

export interface PolicyParts {
  readonly rules?: readonly FsRule[];
  readonly network?: Partial<NetworkPolicy>;
  readonly allowPty?: boolean;
  readonly allowGitConfig?: boolean;
}

export function makePolicy(parts: PolicyParts = {}): Policy {
  return {
    kind: "policy",
    version: 1,
    source: "/Users/u/.srt-settings.json",
    context: { cwd: "/Users/u/proj", home: "/Users/u", platform: "darwin", stateDir: "/private/tmp/srt-501" },
    filesystem: { rules: parts.rules ?? [], privateTmp: true },
    network: {
      rules: [],
      deniedResolvedAddresses: [],
      unixSockets: [],
      allowAllUnixSockets: flag(false, "default:allowAllUnixSockets"),
      allowLocalBinding: flag(false, "default:allowLocalBinding"),
      ...parts.network,
    },
    env: { inherit: "core", allow: [], deny: [], origin: "default:env" },
    ignoreViolations: [],
    limits: { bestEffort: flag(false) },
    options: {
      enableWeakerNestedSandbox: flag(false),
      allowNestedUserNamespaces: flag(false),
      allowPty: flag(parts.allowPty ?? false, "/allowPty"),
      allowGitConfig: flag(parts.allowGitConfig ?? false, "/filesystem/allowGitConfig"),
      mandatoryDenySearchDepth: { value: 3, origin: "default:mandatoryDenySearchDepth" },
    },
  };
}

/** A typical coding-agent policy: home secrets denied, the project writable, mandatory denies found. */
export const typicalPolicy = (): Policy =>
  makePolicy({
    rules: [
      pathRule("read", "deny", "/Users/u/.ssh", { origin: "/filesystem/denyRead/0" }),
      globRule("read", "deny", "/Users/u/**/*.pem", { origin: "/filesystem/denyRead/1", matches: 1 }),
      pathRule("read", "deny", "/Users/u/proj/secrets/key.pem", {
        node: "file",
        via: { kind: "glob", pattern: "/Users/u/**/*.pem" },
        origin: "/filesystem/denyRead/1",
      }),
      pathRule("read", "allow", "/Users/u/.ssh/known_hosts", { node: "file", origin: "/filesystem/allowRead/0" }),
      pathRule("write", "allow", "/Users/u/proj", { origin: "/filesystem/allowWrite/0" }),
      globRule("write", "deny", "/Users/u/proj/src/*.gen.ts", { origin: "/filesystem/denyWrite/0" }),
      mandatory("/Users/u/proj/.bashrc", "shell-config"),
      mandatory("/Users/u/proj/.git/hooks", "git-hooks", "dir"),
      mandatory("/Users/u/proj/.git/config", "git-repo-config", "file"),
      mandatory("/Users/u/proj/.claude/commands", "agent-config"),
    ],
    network: {
      unixSockets: [
        { kind: "unix-socket", path: "/private/var/run/docker.sock", origin: "/network/allowUnixSockets/0" },
      ],
    },
  });

export const proxy = { httpPort: 3128, socksPort: 1080 } as const;
