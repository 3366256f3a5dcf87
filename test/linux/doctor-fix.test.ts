/**
 * `srt doctor --fix` through the real package manager. Removing bubblewrap from this machine would
 * break every other sandbox test running beside this one, so the real apt-get path is proven with a
 * harmless package that is absent (GNU hello): the same code chooses the manager, runs `apt-get
 * update` and `apt-get install -y`, and checks the program is then found the trusted way; the
 * package is removed afterwards. test/runtime/install.test.ts covers the choice of command, who
 * may install, and a machine without bwrap, on an injected one.
 *
 * It changes the machine and needs the Debian mirror, so it runs only under CI=true or
 * SRT_TEST_APT=1, as root, on a machine with apt-get where hello is not installed.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { locateTool, nodeToolFs } from "../../src/runtime/host-tools.js";
import { installMissing } from "../../src/runtime/linux/install.js";
import { ci } from "../support/requirements.js";

const wanted = ci || process.env["SRT_TEST_APT"] === "1";
const apt = locateTool("apt-get", nodeToolFs);
const ready = process.getuid?.() === 0 && apt.ok && !existsSync("/usr/bin/hello");

describe.runIf(wanted)("srt doctor --fix with the real apt-get", () => {
  afterAll(() => {
    if (ready) spawnSync("apt-get", ["remove", "-y", "--purge", "hello"], { stdio: "ignore" });
  });

  it("installs a missing package and finds its program afterwards (then removes it)", () => {
    // Under CI the machine must allow it; locally SRT_TEST_APT=1 asked for it.
    expect(ready, "needs root, apt-get in a system directory, and GNU hello not installed").toBe(true);
    const said: string[] = [];
    const outcome = installMissing({
      fs: nodeToolFs,
      uid: 0,
      wants: { hello: "hello" },
      run: (argv) =>
        spawnSync(argv[0]!, argv.slice(1), {
          stdio: "ignore",
          env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
        }).status,
      say: (l) => void said.push(l),
    });
    expect(outcome).toMatchObject({ kind: "installed", packages: ["hello"] });
    expect(said[0]).toMatch(/apt-get update && .*apt-get install -y --no-install-recommends hello$/);
    expect(locateTool("hello", nodeToolFs).ok).toBe(true);
    expect(spawnSync("/usr/bin/hello", { encoding: "utf8" }).stdout).toBe("Hello, world!\n");
  }, 300_000);
});
