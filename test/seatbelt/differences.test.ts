import { describe, expect, it } from "vitest";
import { platformDifferences } from "../../src/backends/seatbelt/index.js";
import { globRule, makePolicy, pathRule, typicalPolicy } from "./policy-fixtures.js";

describe("platformDifferences", () => {
  it("names each glob deny with its compile-time match count, from either side", () => {
    const mac = platformDifferences(typicalPolicy(), "macos");
    expect(mac).toContain(
      "/filesystem/denyRead/1: deny read /Users/u/**/*.pem also covers files created later (on Linux: only the 1 match found when compiling are denied)",
    );
    const linux = platformDifferences(typicalPolicy(), "linux");
    expect(linux).toContain(
      "only the 0 matches found when compiling are denied (on macOS: /filesystem/denyWrite/0: deny write /Users/u/proj/src/*.gen.ts also covers files created later)",
    );
  });

  it("says a masked file stays unreadable on macOS, from either side; a masked variable is no difference", () => {
    const mask = (source: { kind: "file"; path: string } | { kind: "env"; name: string }, origin: `/${string}`) => ({
      source,
      onExtractNoMatch: "deny" as const,
      injectHosts: [],
      origin,
    });
    const policy = makePolicy({
      network: {
        masks: {
          entries: [
            mask({ kind: "file", path: "/Users/u/.token" }, "/credentials/files/0"),
            mask({ kind: "env", name: "API_TOKEN" }, "/credentials/envVars/0"),
          ],
          allowPlaintextInject: { value: false, origin: "default:allowPlaintextInject" },
        },
      },
    });
    const mac = platformDifferences(policy, "macos").filter((l) => l.includes("/credentials/"));
    expect(mac).toEqual([
      "/credentials/files/0: the masked file /Users/u/.token stays unreadable, its secret never injected (Seatbelt cannot put a masked copy in its place) (on Linux: the command reads a copy holding the sentinel, bound over the file)",
    ]);
    expect(platformDifferences(policy, "linux")).toContainEqual(
      expect.stringMatching(/^the command reads a copy holding the sentinel.*\(on macOS: \/credentials\/files\/0: /),
    );
  });

  it("says that on Linux the listed unix sockets can be connected to, not bound", () => {
    const lines = platformDifferences(typicalPolicy(), "linux");
    expect(
      lines.some((l) => l.startsWith("only these may be connected to") && l.includes("/private/var/run/docker.sock")),
    ).toBe(true);
  });

  it("mentions an absent read deny, an inexact allow glob and the mandatory search depth only when the policy has them", () => {
    const none = platformDifferences(makePolicy(), "macos").join("\n");
    expect(none).not.toMatch(/ glob |created later|does not exist|mandatory denies/);
    const some = platformDifferences(
      makePolicy({
        rules: [
          pathRule("read", "deny", "/Users/u/.aws", { node: "absent" }),
          globRule("read", "allow", "/Users/u/[^]x]/*"),
          pathRule("write", "allow", "/Users/u/proj"),
        ],
      }),
      "macos",
    ).join("\n");
    expect(some).toMatch(/\/Users\/u\/\.aws does not exist yet; it stays unreadable/);
    expect(some).toMatch(/character class Seatbelt cannot spell exactly/);
    expect(some).toMatch(/mandatory denies .* at every depth .*depth 3, default:mandatoryDenySearchDepth/);
  });

  it("always states the network and IPC model", () => {
    const lines = platformDifferences(makePolicy(), "macos");
    expect(lines.some((l) => l.includes("proxy ports on the host's loopback"))).toBe(true);
    expect(lines.some((l) => l.includes("host-global"))).toBe(true);
  });
});
