/**
 * pip installs a local wheel inside the sandbox (every file it makes goes through srt's
 * supervisor: its temporary directories, the unpacked files, the .dist-info). The wheel is built
 * in the sandbox from nothing (python3's zipfile; no network, no index); then
 * `pip install --no-index --no-deps --target` installs it and the package imports from there.
 * Real bwrap, root and srt-test.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import { missingTestUser, runners, sh, skipReason, supported, useBox } from "./support.js";

/** Writes dist/srtdemo-1.0-py3-none-any.whl: one module, METADATA, WHEEL and a RECORD with hashes. */
const MAKE_WHEEL = String.raw`
import base64, hashlib, os, zipfile
files = {
    "srtdemo/__init__.py": b"GREETING = 'hello from a wheel'\n",
    "srtdemo-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: srtdemo\nVersion: 1.0\n",
    "srtdemo-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: srt-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
def digest(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
record = "".join(f"{name},{digest(data)},{len(data)}\n" for name, data in files.items())
record += "srtdemo-1.0.dist-info/RECORD,,\n"
os.makedirs("dist", exist_ok=True)
with zipfile.ZipFile("dist/srtdemo-1.0-py3-none-any.whl", "w") as z:
    for name, data in files.items():
        z.writestr(name, data)
    z.writestr("srtdemo-1.0.dist-info/RECORD", record)
print("wheel built")
`;

const pip = ["/usr/bin/python3"].find((p) => existsSync(p) && existsSync("/usr/lib/python3/dist-packages/pip"));

describe.skipIf(lacking(!supported, skipReason))("pip install of a local wheel", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");

  describe.each(runners)("as %s", (runner) => {
    if (pip === undefined) unavailable("pip for the system python3 is not installed (apt-get install python3-pip)");
    else
      it.concurrent(
        "builds a wheel offline and installs it with pip --no-index --target; the package imports",
        async (ctx) => {
          const b = useBox(ctx, runner);
          const out = await sh(
            b,
            [
              "set -e",
              `/usr/bin/python3 - <<'EOF'\n${MAKE_WHEEL}\nEOF`,
              "/usr/bin/python3 -m pip install --no-index --no-deps --disable-pip-version-check --target site dist/srtdemo-1.0-py3-none-any.whl",
              `PYTHONPATH=site /usr/bin/python3 -c "import srtdemo; print(srtdemo.GREETING)"`,
            ].join("\n"),
            { timeoutMs: 120_000 },
          );
          expect(out.status, out.stdout + out.stderr).toBe(0);
          expect(out.stdout).toContain("wheel built");
          expect(out.stdout).toContain("Successfully installed srtdemo-1.0");
          expect(out.stdout).toContain("hello from a wheel");
          expect(existsSync(join(b.work, "site/srtdemo/__init__.py"))).toBe(true);
          expect(existsSync(join(b.work, "site/srtdemo-1.0.dist-info/RECORD"))).toBe(true);
          // Nothing pip did was refused by the policy.
          expect(out.stderr).not.toMatch(/srt: refused/);
        },
        150_000,
      );
  });
});
