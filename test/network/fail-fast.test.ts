/**
 * With no allowed host, real tools fail at once and srt says why. Before, the proxy variables were
 * unset when a policy allowed no host: npm's request went straight at a dead network (EAI_AGAIN, or
 * ECONNREFUSED on loopback), npm took that for a flaky network and retried for over a minute
 * (`npm view` gave up after 71 s, silently). Now the variables always lead to srt's proxies, which
 * answer 403 at once (npm does not retry a 403), and the summary names the host and the setting
 * that would allow it. Nothing leaves the machine: the registry's name is one that never resolves
 * (srt's proxy refuses a name before resolving it), and inside the sandbox there is only its own
 * loopback to ask for DNS.
 */
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import { missingTestUser, runners, srt, useBox, writeSettings } from "../linux/support.js";
import { makeScratch, networkSkipReason, networkSupported, runScript, shown, type Scratch } from "./support.js";

const npm = spawnSync("sh", ["-c", "command -v npm"], { encoding: "utf8" }).stdout.trim();
const curl = spawnSync("sh", ["-c", "command -v curl"], { encoding: "utf8" }).stdout.trim();

describe.skipIf(lacking(!networkSupported, networkSkipReason))("no allowed host: tools fail at once", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");
  if (npm === "") unavailable("npm is missing: the npm case cannot run");
  if (curl === "") unavailable("curl is missing: the curl case cannot run");
  let scratch: Scratch;
  beforeAll(() => {
    scratch = makeScratch();
  });
  afterAll(() => scratch?.remove());

  describe.each(runners)("as %s", (runner) => {
    it.skipIf(npm === "")(
      "npm view under the default policy: a 403 from srt's proxy, no retries, and the summary says how to allow it",
      async (ctx) => {
        const box = useBox(ctx, runner);
        const t0 = performance.now();
        const out = await runScript(
          scratch,
          box,
          {},
          // The cache in the writable cwd: npm's default (~/.npm) is read-only in the sandbox.
          `echo "proxy=$HTTPS_PROXY"; ${npm} view ms version --registry https://registry.srt.test/ --cache ./npm-cache; echo "npm=$?"`,
          { timeoutMs: 60_000 },
        );
        const ms = performance.now() - t0;
        expect(out.stdout, shown(out)).toMatch(/^proxy=http:\/\/127\.0\.0\.1:3128$/m);
        expect(out.stdout, shown(out)).toMatch(/^npm=1$/m);
        expect(out.stderr, shown(out)).toMatch(/E403/);
        expect(out.stderr).toMatch(/^srt: blocked \d+ network requests?: registry\.srt\.test:443 /m);
        expect(out.stderr).toContain(
          "srt: to allow registry.srt.test: add it to network.allowedDomains in the settings, or run with --allow-domain registry.srt.test\n",
        );
        // npm retries a dead network for ~70 s; a refusal ends it at once. Generous for a loaded machine.
        expect(ms).toBeLessThan(15_000);
      },
    );

    it.skipIf(curl === "")(
      "curl through either proxy variable: srt's refusal at once, named in the summary",
      async (ctx) => {
        const box = useBox(ctx, runner);
        const out = await runScript(
          scratch,
          box,
          {},
          `${curl} -sS -o /dev/null -w "http=%{http_code}\\n" -x "$HTTP_PROXY" http://plain.srt.test/x; ` +
            `${curl} -sS -o /dev/null -x "$ALL_PROXY" https://socks.srt.test/ 2>&1; echo "socks=$?"`,
        );
        expect(out.stdout, shown(out)).toMatch(/^http=403$/m);
        // 97: "proxy handshake error", curl's word for SOCKS reply 0x02 (not allowed by ruleset).
        expect(out.stdout, shown(out)).toMatch(/^socks=97$/m);
        expect(out.stderr, shown(out)).toMatch(
          /^srt: blocked 2 network requests: (plain\.srt\.test:80 \(is not in allowedDomains\), socks\.srt\.test:443|socks\.srt\.test:443 \(is not in allowedDomains\), plain\.srt\.test:80) /m,
        );
      },
    );

    it("the refusing endpoint stands in for the proxies: a run that may reach no host loads no proxy code", async (ctx) => {
      const box = useBox(ctx, runner);
      // Node's own list of the built-in modules it loaded, printed by srt's process as it exits.
      const probe =
        'data:text/javascript,process.on("exit",()=>process.stderr.write("builtins="+process.moduleLoadList.filter(m=>m.startsWith("NativeModule ")).map(m=>m.slice(13)).join(" ")+"\\n"))';
      const wrap = (argv: string[]): string[] => {
        const i = argv.indexOf(process.execPath);
        return [...argv.slice(0, i + 1), "--import", probe, ...argv.slice(i + 1)];
      };
      const loaded = async (settings: unknown): Promise<string[]> => {
        writeSettings(box, settings);
        const out = await srt(box, ["--settings", box.settings, "-c", "true"], { wrap });
        expect(out.status, shown(out)).toBe(0);
        return (/^builtins=(.*)$/m.exec(out.stderr)?.[1] ?? "").split(" ");
      };
      const offlineModules = await loaded({});
      expect(loadedOrNone(offlineModules)).toEqual([]);
      // Nor what only other paths need (issue 19): node:crypto (the OCI runtimes; the code cache's
      // checksum is zlib's CRC-32), node:worker_threads (the main thread never asks for it) and
      // perf_hooks (the run's clock is process.hrtime, not the `performance` global).
      expect(offlineModules.filter((m) => ["crypto", "worker_threads", "perf_hooks"].includes(m))).toEqual([]);
      // The probe sees them when the proxies do run.
      expect(loadedOrNone(await loaded({ network: { allowedDomains: ["example.srt.test"] } }))).toEqual([
        "http",
        "tls",
      ]);
    });

    it("DNS fails at once inside the sandbox (nothing but its own loopback to ask)", async (ctx) => {
      const box = useBox(ctx, runner);
      const script = `${process.execPath} -e 'const t=Date.now();require("dns").lookup("fail-fast.srt.test",(e)=>{console.log("code="+(e&&e.code));console.log("ms="+(Date.now()-t))})'`;
      const out = await runScript(scratch, box, {}, script);
      expect(out.status, shown(out)).toBe(0);
      const ms = Number(/^ms=(\d+)$/m.exec(out.stdout)?.[1]);
      expect(out.stdout).toMatch(/^code=(EAI_AGAIN|ENOTFOUND)$/m);
      expect(ms).toBeLessThan(2000);
    });
  });
});

/** Which of the proxies' heavy built-ins a list of loaded built-in modules has. */
function loadedOrNone(modules: readonly string[]): string[] {
  return ["http", "tls"].filter((m) => modules.includes(m));
}
