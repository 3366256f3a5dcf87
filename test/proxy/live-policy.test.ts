/**
 * The live policy on its own: what a replacement takes from the new settings
 * and what it keeps. That the proxies decide the next request with it is in
 * test/api/live-policy.test.ts (real sockets); that the CLI's --control-fd and
 * the library's update() reach it, in test/api/control-fd.test.ts and
 * test/api/sandbox.test.ts (real bwrap).
 */
import { describe, expect, it } from "vitest";
import type { NetworkPolicy } from "../../src/compiler/ir.js";
import { createLivePolicy } from "../../src/runtime/proxy/live-policy.js";
import { allow, deniedAddress, deny } from "./harness.js";

const mitm = { socketPath: "/run/mitm.sock", domains: [allow("mitm.test")], origin: "/network/mitmProxy" as const };
const flag = { value: false, origin: "default:test" as const };
/** A whole compiled network policy, as the CLI's plan and update()'s compile hand it over. */
const compiled = (over: Partial<NetworkPolicy>): NetworkPolicy => ({
  rules: [],
  deniedResolvedAddresses: [],
  unixSockets: [],
  allowAllUnixSockets: flag,
  allowLocalBinding: flag,
  ...over,
});

describe("createLivePolicy", () => {
  it("starts with the initial lists and route, and nothing the proxies do not decide with", () => {
    const live = createLivePolicy(
      compiled({
        rules: [allow("a.test")],
        deniedResolvedAddresses: [deniedAddress("10.0.0.0/8")],
        mitmProxy: mitm,
        httpProxyPort: 8080,
      }),
    );
    expect(live.current()).toEqual({
      rules: [allow("a.test")],
      deniedResolvedAddresses: [deniedAddress("10.0.0.0/8")],
      mitmProxy: mitm,
    });
  });

  it("replace() takes the allow/deny lists and the resolved-address guard from the new settings", () => {
    const live = createLivePolicy(compiled({ rules: [allow("a.test")] }));
    live.replace(
      compiled({
        rules: [deny("a.test"), allow("b.test", 1)],
        deniedResolvedAddresses: [deniedAddress("192.168.0.0/16")],
      }),
    );
    expect(live.current()).toEqual({
      rules: [deny("a.test"), allow("b.test", 1)],
      deniedResolvedAddresses: [deniedAddress("192.168.0.0/16")],
    });
  });

  it("the MITM route stays as created: a replacement can neither change nor drop it, nor add one", () => {
    const live = createLivePolicy(compiled({ mitmProxy: mitm }));
    live.replace(compiled({ rules: [allow("c.test")], mitmProxy: { ...mitm, socketPath: "/tmp/other.sock" } }));
    expect(live.current().mitmProxy).toBe(mitm);
    live.replace(compiled({ rules: [] }));
    expect(live.current().mitmProxy).toBe(mitm);
    const without = createLivePolicy(compiled({}));
    without.replace(compiled({ mitmProxy: mitm }));
    expect("mitmProxy" in without.current()).toBe(false);
  });

  it("current() is one object until the next replace() (the proxies compile their address guard per object)", () => {
    const live = createLivePolicy(compiled({ rules: [allow("a.test")] }));
    const first = live.current();
    expect(live.current()).toBe(first);
    live.replace(compiled({ rules: [allow("a.test")] }));
    const second = live.current();
    expect(second).not.toBe(first);
    expect(live.current()).toBe(second);
  });
});
