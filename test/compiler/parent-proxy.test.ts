// parentProxy's credentials are located in the IR, never copied: no plan,
// IR, explain text or diagnostic carries the password, whether it came from
// the settings or from srt's environment.
import { describe, expect, it } from "vitest";
import { lowerLinuxPlan } from "../../src/backends/bwrap/index.js";
import { explainPolicy } from "../../src/cli/explain-text.js";
import { locate, renderHuman } from "../../src/cli/render.js";
import { compileFixture, loadFixture } from "../support/fixtures.js";

describe("parentProxy secrets", () => {
  it.each(["parent-proxy", "parent-proxy-env", "parent-proxy-invalid"])("%s: the password is nowhere", (name) => {
    const c = loadFixture(name);
    const r = compileFixture(c);
    const texts = [
      JSON.stringify(r.diagnostics),
      renderHuman(
        locate(r.diagnostics, { file: c.settingsPath, text: c.text }),
        { file: c.settingsPath, text: c.text },
        false,
      ),
    ];
    if (r.policy) {
      texts.push(
        JSON.stringify(r.policy),
        JSON.stringify(lowerLinuxPlan(r.policy, "x86_64")),
        explainPolicy(r.policy, "linux", c.env.vars ?? {}),
      );
      expect(r.policy.network.parentProxy).toBeDefined();
    }
    for (const t of texts) {
      expect(t).not.toContain("s3cret");
      expect(t).not.toContain("bob:");
      expect(t).not.toContain("alice:");
    }
  });

  it("explain names the upstream, where the credentials come from, and that the address check is for direct dials", () => {
    const c = loadFixture("parent-proxy-env");
    const text = explainPolicy(compileFixture(c).policy!, "linux", c.env.vars ?? {});
    expect(text).toContain("CONNECT and SOCKS: http://10.1.1.1:3128 (with credentials)  ← env:HTTPS_PROXY");
    expect(text).toContain(
      "directly instead: loopback, *.corp.example and corp.example, *.localhost and localhost  ← env:NO_PROXY",
    );
    expect(text).toContain("the resolved-address check above applies to direct dials only");
  });
});
