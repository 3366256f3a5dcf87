/**
 * Bad input never crashes srt: each case gets a diagnostic with a code and a
 * location, exit status 2, and no stack trace.
 */
import { symlinkSync, writeFileSync } from "node:fs";

import { join } from "node:path";
import { tempDir } from "../support/temp.js";
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { runSrt, srtBin } from "../support/cli.js";

const dir = tempDir("srt-bad-input-");
const file = (name: string, text: string | Buffer): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

const cases: [string, string | Buffer, RegExp][] = [
  ["malformed.json", '{"network": {"allowedDomains": ["a.com",]}}', /:1:\d+: error SRT103: malformed JSON/],
  [
    "wrong-type.json",
    '{"network": {"allowLocalBinding": "yes"}}',
    /error SRT112: "\/network\/allowLocalBinding" must be boolean/,
  ],
  ["unknown.json", '{"filesytem": {}}', /error SRT110: unknown key "filesytem".*\n(.*\n)*.*did you mean "filesystem"/],
  ["star-com.json", '{"network": {"allowedDomains": ["*.com"]}}', /error SRT200: "\*\.com"/],
  ["scheme.json", '{"network": {"allowedDomains": ["http://x"]}}', /error SRT200: "http:\/\/x"/],
  ["mid-wildcard.json", '{"network": {"allowedDomains": ["a.*.com"]}}', /error SRT200: "a\.\*\.com"/],
  ["empty-domain.json", '{"network": {"allowedDomains": [""]}}', /error SRT112: .*allowedDomains\/0/],
  ["empty-path.json", '{"filesystem": {"denyRead": [""]}}', /error SRT112: .*denyRead\/0/],
  ["nul.json", '{"filesystem": {"denyRead": ["/a\\u0000b"]}}', /error SRT202: path contains a NUL byte/],
  ["raw-nul.json", '{"filesystem": {"denyRead": ["/a\u0000b"]}}', /error SRT103: malformed JSON/],
  ["empty.json", "", /error SRT101: settings file is empty/],
  [
    "proto-key.json",
    '{"__proto__": {}, "network": {"constructor": []}}',
    /error SRT110: unknown key "__proto__"(.*\n)*.*error SRT110: unknown key "constructor"/,
  ],
  ["infinity.json", '{"mandatoryDenySearchDepth": 1e999}', /error SRT112: .* must be integer, not number Infinity/],
  ["array.json", "[]", /error SRT112: settings must be object/],
  [
    "deep.json",
    `{"ignoreViolations": {"x": ${"[".repeat(5000)}${"]".repeat(5000)}}}`,
    /error SRT104: JSON is nested more than 64 levels deep/,
  ],
  [
    "huge.json",
    `{"ignoreViolations": {"x": [${Array.from({ length: 800_000 }, () => '"aaaaaaaaaa"').join(",")}]}}`,
    /error SRT102: settings file is \d+\.\d MiB; the limit is 1 MiB/,
  ],
  ["latin1.json", Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x3a, 0x31, 0x7d]), /error SRT100: .* is not valid UTF-8/],
];

describe("bad settings input", () => {
  it.each(cases)("%s → exit 2 with a clear diagnostic", (name, text, expected) => {
    const r = runSrt(["check", file(name, text)]);
    expect(r.stderr).toMatch(expected);
    expect(r.status).toBe(2);
    expect(r.stderr).not.toMatch(/\n\s+at .*:\d+:\d+\)?\n/); // no stack trace
    expect(r.stderr).not.toMatch(/internal error/);
  });

  it("control characters from the settings are shown escaped, never sent to the terminal raw", () => {
    const r = runSrt([
      "check",
      file(
        "ctl.json",
        '{"network": {"allowedDomains": ["a\\u0000\\u001b[31m.com"]}, "filesystem": {"denyRead": ["/x\\ny"], "allowWrite": ["/nope\\u001b]0;pwn\\u0007"]}}',
      ),
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('error SRT200: "a\\u0000\\u001b[31m.com"');
    expect(r.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
  });

  it("a --settings file that does not exist is an error, not the defaults", () => {
    const r = runSrt(["check", "--settings", join(dir, "missing.json")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/error SRT100: settings file .*missing\.json does not exist/);
  });

  it("a dangling ~/.srt-settings.json link is an error, not the defaults", () => {
    const home = tempDir("srt-home-");
    symlinkSync(join(home, "moved-away.json"), join(home, ".srt-settings.json"));
    const r = runSrt(["check"], { env: { HOME: home }, cwd: home });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/error SRT100: settings file .*\.srt-settings\.json does not exist/);
  });

  it("an endless device is read only up to a bound (SRT102), a pipe is read whole", () => {
    const zero = runSrt(["check", "/dev/zero"]);
    expect(zero.signal).toBeNull();
    expect(zero.status).toBe(2);
    expect(zero.stderr).toMatch(/error SRT102: \/dev\/zero is larger than the 1 MiB limit/);
    // A real pipe, as a shell makes it (spawnSync's `input` is a socket, which /dev/stdin cannot reopen).
    const piped = spawnSync(
      "sh",
      [
        "-c",
        'printf %s "$0" | "$1" "$2" check --target linux /dev/stdin',
        '{"network": {"allowedDomains": ["example.com"]}}',
        process.execPath,
        srtBin,
      ],
      { cwd: dir, encoding: "utf8" },
    );
    expect(piped.stdout).toMatch(/\/dev\/stdin: valid for linux/);
    expect(piped.status).toBe(0);
  });

  it("a directory given as settings is an error", () => {
    const r = runSrt(["check", dir]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/SRT100: .* is a directory/);
  });

  it("an unknown option is a usage error, not ignored", () => {
    const r = runSrt(["check", "--setings", "x.json"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown option --setings/);
  });

  it("--json puts machine-readable diagnostics on stdout", () => {
    const r = runSrt(["check", "--json", file("json.json", '{\n  "network": {"allowLocalBinding": 1}\n}')]);
    expect(r.status).toBe(2);
    const ds = JSON.parse(r.stdout) as { code: string; line: number; column: number; pointer: string }[];
    expect(ds).toEqual([
      expect.objectContaining({ code: "SRT112", pointer: "/network/allowLocalBinding", line: 2, column: 15 }),
    ]);
  });
});
