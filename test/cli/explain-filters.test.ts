// `srt explain` says what each request filter does, with the key that set it.
import { describe, expect, it } from "vitest";
import { requestFilterLines } from "../../src/cli/explain-filters.js";
import { compileSettings } from "../../src/compiler/index.js";
import { createFixtureHost } from "../support/fixture-host.js";

const host = createFixtureHost(
  { dirs: ["/home/u/proj"], files: ["/home/u/.bashrc"] },
  { cwd: "/home/u/proj", home: "/home/u" },
);
const network = (settings: unknown) =>
  compileSettings({ text: JSON.stringify(settings), file: "/home/u/s.json", host, target: "linux" }).policy!.network;

describe("explain: request filters", () => {
  it("one line per filter, each ending in its origin", () => {
    const lines = requestFilterLines(
      network({
        network: {
          refuseOpaqueTunnels: true,
          requireHostMatch: true,
          stripResponseHeaders: ["Set-Cookie"],
          allowPlaintextHeaderSet: true,
          ambiguousRequestTarget: "normalize",
        },
      }),
    );
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(
      /opaque tunnels refused.*no tlsTerminate: so all HTTPS.*← \/network\/refuseOpaqueTunnels$/,
    );
    expect(lines[1]).toMatch(/answered 421 {2}← \/network\/requireHostMatch$/);
    expect(lines[2]).toMatch(/never passed to the command: set-cookie .*← \/network\/stripResponseHeaders$/);
    expect(lines[3]).toMatch(/may set headers on plain HTTP .*← \/network\/allowPlaintextHeaderSet$/);
    expect(lines[4]).toMatch(/forwarded normalized .*← \/network\/ambiguousRequestTarget$/);
  });
  it("nothing when no filter is set", () => {
    expect(requestFilterLines(network({ network: { allowedDomains: ["a.example"] } }))).toEqual([]);
  });
});
