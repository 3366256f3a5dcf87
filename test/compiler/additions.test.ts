/**
 * The command line's additions to the settings for one run (src/compiler/additions.ts):
 * `--allow-domain`, `--deny-domain`, `--allow-write`, `--deny-read` join the settings' lists with
 * their option as origin, are checked like entries of the file, and only ever add.
 */
import { describe, expect, it } from "vitest";
import { compileSettings, type Policy } from "../../src/compiler/index.js";
import type { RunAdditions } from "../../src/compiler/additions.js";
import { createFixtureHost } from "../support/fixture-host.js";

const home = "/home/u";
const cwd = `${home}/proj`;
const host = createFixtureHost({ dirs: [cwd, `${home}/cache`, `${home}/.ssh`], files: ["/etc/shadow"] }, { cwd, home });

function compile(settings: object | undefined, additions?: RunAdditions) {
  return compileSettings({
    text: settings === undefined ? undefined : JSON.stringify(settings),
    file: settings === undefined ? "default" : `${home}/s.json`,
    host,
    target: "linux",
    ...(additions === undefined ? {} : { additions }),
  });
}

const policyOf = (r: ReturnType<typeof compile>): Policy => {
  if (r.policy === undefined) throw new Error(JSON.stringify(r.diagnostics));
  return r.policy;
};
const writable = (p: Policy) =>
  p.filesystem.rules
    .filter((r) => r.access === "write" && r.effect === "allow")
    .map((r) => ["path" in r ? r.path : r.kind, r.origin]);
const net = (p: Policy) => p.network.rules.map((r) => [r.effect, r.source, r.origin] as const);

describe("command-line additions", () => {
  it("--allow-write adds to the default working directory, and to allowWrite when the settings have one", () => {
    const added = { allowWrite: ["~/cache"] };
    expect(writable(policyOf(compile(undefined, added)))).toEqual(
      expect.arrayContaining([
        [cwd, "default:cwd"],
        [`${home}/cache`, "cli:--allow-write"],
      ]),
    );
    const withList = policyOf(compile({ filesystem: { allowWrite: ["/tmp"] } }, added));
    expect(writable(withList)).toEqual(
      expect.arrayContaining([
        ["/tmp", "/filesystem/allowWrite/0"],
        [`${home}/cache`, "cli:--allow-write"],
      ]),
    );
    expect(writable(withList).map(([p]) => p)).not.toContain(cwd);
  });

  it("--allow-domain and --deny-domain join the settings' lists, with their origin", () => {
    const p = policyOf(
      compile(
        { network: { allowedDomains: ["example.com"] } },
        { allowDomains: ["registry.npmjs.org", "*.pypi.org"], denyDomains: ["evil.example.com"] },
      ),
    );
    expect(net(p)).toEqual(
      expect.arrayContaining([
        ["allow", "example.com", "/network/allowedDomains/0"],
        ["allow", "registry.npmjs.org", "cli:--allow-domain"],
        ["allow", "*.pypi.org", "cli:--allow-domain"],
        ["deny", "evil.example.com", "cli:--deny-domain"],
      ]),
    );
  });

  it("--deny-read denies like denyRead; a deny added on the command line wins over an allow in the file", () => {
    const p = policyOf(
      compile(
        { network: { allowedDomains: ["evil.example.com"] } },
        { denyRead: ["~/.ssh"], denyDomains: ["evil.example.com"] },
      ),
    );
    expect(p.filesystem.rules).toContainEqual(
      expect.objectContaining({ access: "read", effect: "deny", path: `${home}/.ssh`, origin: "cli:--deny-read" }),
    );
    const deny = p.network.rules.find((r) => r.effect === "deny");
    expect(deny?.origin).toBe("cli:--deny-domain");
  });

  it("an invalid entry is the same error as in the file, pointing at its option", () => {
    const r = compile(undefined, { allowDomains: ["*.com"] });
    expect(r.policy).toBeUndefined();
    expect(r.diagnostics).toEqual([expect.objectContaining({ code: "SRT200", pointer: "cli:--allow-domain" })]);
  });

  it("no additions: the same policy as without the option", () => {
    expect(compile({ network: { allowedDomains: ["example.com"] } }, {})).toEqual(
      compile({ network: { allowedDomains: ["example.com"] } }),
    );
  });
});
