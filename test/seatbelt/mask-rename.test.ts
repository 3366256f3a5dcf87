/**
 * The Seatbelt side of test/linux/mask-rename.test.ts: a read deny is on a
 * path, so a renamed parent would carry the secret to a name no rule covers.
 * Seatbelt checks a rename's source as file-write-unlink; the profile denies it
 * on every ancestor inside the writable root and denies writes to the secret
 * itself, so neither the file nor a parent can be moved.
 */
import { describe, expect, it } from "vitest";
import { lowerSeatbelt, renderSeatbelt } from "../../src/backends/seatbelt/index.js";
import { createEvaluator } from "./evaluate.js";
import { makePolicy, pathRule, proxy } from "./policy-fixtures.js";

const proj = "/Users/u/proj";

describe("Seatbelt: a read-denied file cannot be moved out of its rule", () => {
  const policy = makePolicy({
    rules: [
      pathRule("write", "allow", proj, { origin: "/filesystem/allowWrite/0" }),
      pathRule("read", "deny", `${proj}/a/b/secret`, { node: "file", origin: "/filesystem/denyRead/0" }),
    ],
  });
  const verdict = createEvaluator(renderSeatbelt(lowerSeatbelt(policy, { proxy })), {
    SRT_PRIVATE_TMP: "/private/tmp/srt-run",
  });

  it("denies renaming (unlinking) the secret and each parent inside the writable root", () => {
    for (const p of [`${proj}/a`, `${proj}/a/b`, `${proj}/a/b/secret`])
      expect(verdict("file-write-unlink", p), p).toBe("deny");
    expect(verdict("file-read-data", `${proj}/a/b/secret`)).toBe("deny");
  });

  it("leaves siblings and the rest of the tree writable", () => {
    for (const p of [`${proj}/a/c`, `${proj}/a/b/notes.txt`]) expect(verdict("file-write-unlink", p), p).toBe("allow");
    expect(verdict("file-write-create", `${proj}/a/b/new.txt`)).toBe("allow");
  });
});
