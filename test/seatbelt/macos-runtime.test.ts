/**
 * The macOS runtime path up to the spawn call: argv and environment of
 * sandbox-exec, the `log stream` arguments, and parsing of canned log lines.
 * Nothing here runs sandbox-exec or log; these are not macOS runs.
 */
import { describe, expect, it } from "vitest";
import { lowerSeatbelt, paramsOf, renderSeatbelt, validateSbpl } from "../../src/backends/seatbelt/index.js";
import { buildMacosLaunch, logStreamArgv, parseLogLine } from "../../src/runtime/macos/index.js";
import { createEvaluator } from "./evaluate.js";
import { proxy, typicalPolicy } from "./policy-fixtures.js";

const tag = "srt-3f9a";
const profileText = renderSeatbelt(lowerSeatbelt(typicalPolicy(), { proxy, tag }));
const base = {
  profileText,
  profilePath: "/private/var/folders/x/T/srt-1/profile.sb",
  tmpDir: "/var/folders/x/T/srt-1/tmp",
  command: "git",
  args: ["-c", "x=1", "--", "-f", "-D", "evil"],
  env: { PATH: "/usr/bin:/bin", HOME: "/Users/u", HTTP_PROXY: "http://elsewhere:1" },
  proxyPorts: proxy,
  tag,
  params: paramsOf(typicalPolicy()),
};

describe("buildMacosLaunch (argv/env construction only)", () => {
  const launch = buildMacosLaunch(base);

  it("runs sandbox-exec with the profile file, the real temp path as a parameter, then -- and the command untouched", () => {
    expect(launch.file).toBe("/usr/bin/sandbox-exec");
    expect(launch.argv).toEqual([
      "-f",
      base.profilePath,
      "-D",
      "SRT_PRIVATE_TMP=/private/var/folders/x/T/srt-1/tmp",
      "--",
      "git",
      "-c",
      "x=1",
      "--",
      "-f",
      "-D",
      "evil",
    ]);
  });

  it("the parameter it passes is the one the profile reads, and makes the temp dir writable", () => {
    expect(validateSbpl(profileText)).toEqual([]);
    const param = launch.argv[launch.argv.indexOf("-D") + 1]!;
    const [name, value] = param.split("=") as [string, string];
    const verdict = createEvaluator(profileText, { [name]: value });
    expect(verdict("file-write-create", `${value}/x`)).toBe("allow");
    expect(verdict("file-write-create", "/private/var/folders/x/T/other")).toBe("deny");
  });

  it("points every proxy variable at srt's ports, over an inherited one, and sets TMPDIR", () => {
    expect(launch.env["HTTP_PROXY"]).toBe("http://127.0.0.1:3128");
    expect(launch.env["https_proxy"]).toBe("http://127.0.0.1:3128");
    expect(launch.env["ALL_PROXY"]).toBe("socks5h://127.0.0.1:1080");
    expect(launch.env["TMPDIR"]).toBe("/private/var/folders/x/T/srt-1/tmp/");
    expect(launch.env["PATH"]).toBe("/usr/bin:/bin");
  });

  it("under tlsTerminate also passes srt's CA files, by their real paths, in the order paramsOf gives", () => {
    const params = paramsOf({
      network: {
        ...typicalPolicy().network,
        tlsTerminate: {
          excludeDomains: [],
          extraCaCertPaths: [],
          maxTunnels: 1,
          handshakeTimeoutMs: 1,
          origin: "/network/tlsTerminate",
        },
      },
    });
    const trustFiles = { ca: "/var/folders/x/T/srt-1/srt-ca.pem", bundle: "/var/folders/x/T/srt-1/srt-ca-bundle.pem" };
    expect(buildMacosLaunch({ ...base, params, trustFiles }).argv.slice(0, 9)).toEqual([
      "-f",
      base.profilePath,
      "-D",
      "SRT_PRIVATE_TMP=/private/var/folders/x/T/srt-1/tmp",
      "-D",
      "SRT_TLS_CA=/private/var/folders/x/T/srt-1/srt-ca.pem",
      "-D",
      "SRT_TLS_BUNDLE=/private/var/folders/x/T/srt-1/srt-ca-bundle.pem",
      "--",
    ]);
    // A profile that reads the CA parameters with no CA files for them: nothing is launched.
    expect(() => buildMacosLaunch({ ...base, params })).toThrow(/-D SRT_TLS_CA, which this run has no value for/);
  });

  it("refuses relative paths and an empty command", () => {
    expect(() => buildMacosLaunch({ ...base, profilePath: "profile.sb" })).toThrow(/absolute/);
    expect(() => buildMacosLaunch({ ...base, command: "" })).toThrow(/empty command/);
  });
});

describe("log stream reader (canned lines, not a macOS log)", () => {
  it("asks for ndjson records that carry this session's tag", () => {
    expect(logStreamArgv(tag)).toEqual([
      "stream",
      "--style",
      "ndjson",
      "--level",
      "default",
      "--predicate",
      'eventMessage CONTAINS "srt-3f9a "',
    ]);
    expect(() => logStreamArgv('x" OR 1==1')).toThrow();
  });

  const record = (eventMessage: string, timestamp = "2024-05-01 10:00:00.123456+0200") =>
    JSON.stringify({ timestamp, eventMessage, processID: 0 });

  it("turns a file denial into a filesystem violation with its origin", () => {
    expect(
      parseLogLine(
        record("Sandbox: cat(4242) deny(1) file-read-data /Users/u/.ssh/id_rsa srt-3f9a /filesystem/denyRead/0"),
        tag,
      ),
    ).toEqual({
      kind: "filesystem",
      time: "2024-05-01 10:00:00.123456+0200",
      process: "cat",
      pid: 4242,
      operation: "file-read-data",
      path: "/Users/u/.ssh/id_rsa",
      origin: "/filesystem/denyRead/0",
    });
  });

  it("turns a network denial into a network violation", () => {
    const v = parseLogLine(
      record("Sandbox: curl(7) deny(1) network-outbound 93.184.216.34:443 srt-3f9a default:deny"),
      tag,
    );
    expect(v).toMatchObject({
      kind: "network",
      operation: "network-outbound",
      path: "93.184.216.34:443",
      origin: "default:deny",
    });
  });

  it("keeps paths with spaces and a forged tag inside the path", () => {
    const v = parseLogLine(
      record(
        "Sandbox: sh(9) deny(1) file-write-create /Users/u/p/a srt-3f9a x/.bashrc srt-3f9a mandatory:shell-config",
      ),
      tag,
    );
    expect(v).toMatchObject({ path: "/Users/u/p/a srt-3f9a x/.bashrc", origin: "mandatory:shell-config" });
    expect(parseLogLine(record("Sandbox: sh(9) deny(1) mach-lookup srt-3f9a default:deny"), tag)).toMatchObject({
      kind: "other",
      path: "",
    });
  });

  it("skips the header, other sessions, allows and noise", () => {
    expect(parseLogLine('Filtering the log data using "eventMessage CONTAINS …"', tag)).toBeUndefined();
    expect(
      parseLogLine(record("Sandbox: cat(1) deny(1) file-read-data /x srt-ffff /filesystem/denyRead/0"), tag),
    ).toBeUndefined();
    expect(
      parseLogLine(record("Sandbox: cat(1) allow(1) file-read-data /x srt-3f9a default:read"), tag),
    ).toBeUndefined();
    expect(parseLogLine(record("something else srt-3f9a x"), tag)).toBeUndefined();
    expect(parseLogLine("[1,2]", tag)).toBeUndefined();
  });
});
