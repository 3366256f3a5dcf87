/**
 * A library sandbox's proxies serve every run of it, and `srt exec --proxies`
 * joins proxies started for some other policy: neither can terminate TLS with
 * a run's CA or inject a run's sentinels, so such a policy is refused there
 * instead of running with tunnels its author believes terminated.
 */
import { describe, expect, it } from "vitest";
import { createSandbox } from "../../src/index.js";
import { joinNetwork } from "../../src/runtime/linux/network.js";
import { lacking } from "../support/requirements.js";
import { skipReason, supported } from "./support.js";

const tls = { network: { allowedDomains: ["example.com"], tlsTerminate: {} } };
const masked = {
  network: { allowedDomains: ["example.com"] },
  credentials: { allowPlaintextInject: true, envVars: [{ name: "TOKEN", mode: "mask" }] },
};

describe.skipIf(lacking(!supported, skipReason))("tlsTerminate and masks where proxies are shared", () => {
  it.each([
    ["tlsTerminate", tls],
    ["a masked credential", masked],
  ])("createSandbox refuses %s", async (_what, settings) => {
    await expect(createSandbox(settings as never)).rejects.toThrow(/tlsTerminate or masked credentials/);
  });

  it("srt exec --proxies refuses a plan that terminates TLS", async () => {
    const plan = { network: { policy: { tlsTerminate: {} } } };
    await expect(joinNetwork("/nonexistent").start(plan as never, {} as never)).rejects.toThrow(/own proxies/);
  });
});
