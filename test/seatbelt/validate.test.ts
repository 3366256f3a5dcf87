/**
 * Every profile the backend writes passes the structural validator: the
 * fixtures' profiles and random policies compiled by the real compiler. The
 * validator is also shown to fail on each kind of broken profile, so a clean
 * result means something.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lowerSeatbelt, renderSeatbelt, validateSbpl } from "../../src/backends/seatbelt/index.js";
import type { Policy } from "../../src/compiler/index.js";
import { compileFixture, listFixtures, loadFixture } from "../support/fixtures.js";
import { proxy, typicalPolicy } from "./policy-fixtures.js";
import { randomPolicy } from "./random-policy.js";

const fixturePolicies = listFixtures().flatMap((name) => {
  const policy = compileFixture(loadFixture(name)).policy;
  return policy === undefined ? [] : [[name, policy] as const];
});

describe("every generated profile is structurally valid", () => {
  it("there are fixtures to check", () => expect(fixturePolicies.length).toBeGreaterThan(10));

  it.each(fixturePolicies)("fixture %s", (_, policy) => {
    expect(validateSbpl(renderSeatbelt(lowerSeatbelt(policy, { proxy })))).toEqual([]);
  });

  it("random policies, with a random session tag", () => {
    fc.assert(
      fc.property(randomPolicy(), fc.stringMatching(/^srt-[0-9a-f]{1,16}$/), (policy, tag) => {
        expect(validateSbpl(renderSeatbelt(lowerSeatbelt(policy, { proxy, tag })))).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });
});

describe("profiles are a function of the policy", () => {
  const shuffled = (p: Policy, order: readonly number[]): Policy => {
    const rules = [...p.filesystem.rules]
      .map((r, i) => [order[i % order.length]! + i / 1000, r] as const)
      .sort((a, b) => a[0] - b[0]);
    return { ...p, filesystem: { ...p.filesystem, rules: rules.map(([, r]) => r) } };
  };

  it("compiling twice gives the same bytes, whatever the order of the rules", () => {
    fc.assert(
      fc.property(
        randomPolicy(),
        fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 20 }),
        (policy, order) => {
          const once = renderSeatbelt(lowerSeatbelt(policy, { proxy }));
          expect(renderSeatbelt(lowerSeatbelt(policy, { proxy }))).toBe(once);
          expect(renderSeatbelt(lowerSeatbelt(shuffled(policy, order), { proxy }))).toBe(once);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("the validator rejects broken profiles", () => {
  const good = renderSeatbelt(lowerSeatbelt(typicalPolicy(), { proxy }));
  const codes = (text: string) => validateSbpl(text).map((p) => p.code);

  it("accepts the typical profile", () => expect(validateSbpl(good)).toEqual([]));

  it.each([
    ["an unclosed form", good + "\n(allow file-read*", "unbalanced"],
    ["a stray close", good + "\n)", "unbalanced"],
    ["an unknown operation", good + '\n(allow file-write-everything (with message "srt x"))', "unknown-operation"],
    ["an unknown filter", good + '\n(allow file-read* (with message "srt x") (pathname "/x"))', "unknown-filter"],
    ["an allow with no operation", good + '\n(allow (with message "srt x") (literal "/x"))', "empty-rule"],
    ["a rule without a message", good + '\n(allow file-read* (literal "/x"))', "missing-message"],
    ["an unanchored regex", good + '\n(deny file-read* (with message "srt x") (regex #"/x/.*"))', "bad-regex"],
    [
      "a regex that does not compile",
      good + '\n(deny file-read* (with message "srt x") (regex #"^/x/(a$"))',
      "bad-regex",
    ],
    ["a literal that is not a string", good + '\n(deny file-read* (with message "srt x") (literal x))', "bad-argument"],
    ["an unterminated string", good + '\n(deny file-read* (with message "srt x") (literal "/x))', "unbalanced"],
    ["a second version", good + "\n(version 1)", "bad-version"],
    ["no version", good.replace("(version 1)", ""), "bad-version"],
    [
      "a bad socket address",
      good + '\n(allow network-outbound (with message "srt x") (remote tcp "example.com:80"))',
      "bad-argument",
    ],
    [
      "an oversized atom",
      good + `\n(deny file-read* (with message "srt x") (literal "/${"x".repeat(5000)}"))`,
      "too-long",
    ],
  ])("%s", (_, text, code) => {
    expect(codes(text)).toContain(code);
  });
});
