// `srt explain` on TLS termination and masks: on macOS a masked file is said to stay withheld.
import { describe, expect, it } from "vitest";
import { tlsAndMaskLines } from "../../src/cli/explain-credentials.js";
import { compileSettings, type Target } from "../../src/compiler/index.js";
import { createFixtureHost } from "../support/fixture-host.js";

const host = createFixtureHost(
  { dirs: ["/home/u/proj"], files: ["/home/u/.token"] },
  { cwd: "/home/u/proj", home: "/home/u" },
);
const settings = {
  network: { allowedDomains: ["api.example.com"], tlsTerminate: {} },
  credentials: {
    files: [{ path: "~/.token", mode: "mask" }],
    envVars: [{ name: "API_TOKEN", mode: "mask" }],
  },
};
const lines = (target: Target): string[] => {
  const policy = compileSettings({ text: JSON.stringify(settings), file: "/home/u/s.json", host, target }).policy!;
  return tlsAndMaskLines(policy.network, (r) => JSON.stringify(r.origin), target);
};

describe("explain: TLS termination and masks per target", () => {
  it("on macOS: the CA files' place, the masked variable injected, the masked file withheld", () => {
    const mac = lines("macos");
    expect(mac.join("\n")).toContain("both files are in the run directory, readable and not writable by the command");
    expect(mac).toContainEqual(expect.stringMatching(/^ {4}\$API_TOKEN → .*← \/credentials\/envVars\/0$/));
    expect(mac).toContainEqual(
      expect.stringMatching(
        /^ {4}\/home\/u\/\.token: withheld on macOS, not masked .*SRT433.*← \/credentials\/files\/0$/,
      ),
    );
  });
  it("on Linux: the masked file is masked like the variable", () => {
    const linux = lines("linux");
    expect(linux).toContainEqual(expect.stringMatching(/^ {4}\/home\/u\/\.token → .*← \/credentials\/files\/0$/));
    expect(linux.join("\n")).not.toMatch(/withheld on macOS|run directory/);
  });
});
