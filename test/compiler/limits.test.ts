import { describe, expect, it } from "vitest";
import { formatBytes, formatDuration, parseByteSize, parseDuration } from "../../src/compiler/limits.js";
import { compileSettings } from "../../src/compiler/index.js";
import { createFixtureHost } from "../support/fixture-host.js";

describe("limit units", () => {
  it.each([
    [268435456, 268435456],
    ["256MiB", 256 * 2 ** 20],
    ["256M", 256 * 2 ** 20],
    ["256mb", 256 * 2 ** 20],
    ["512m", 512 * 2 ** 20],
    ["1.5G", 1.5 * 2 ** 30],
    ["1 GiB", 2 ** 30],
    ["100", 100],
    ["100b", 100],
    ["2T", 2 * 2 ** 40],
  ] as const)("size %s is %d bytes", (text, bytes) => {
    expect(parseByteSize(text)).toEqual({ ok: true, value: bytes });
  });

  it.each(["0", "0.4b", "9999999999T", "12 parsecs"])("size %s is refused", (text) => {
    expect(parseByteSize(text).ok).toBe(false);
  });

  it.each([
    [1500, 1500],
    ["30s", 30_000],
    ["1.5m", 90_000],
    ["250ms", 250],
    ["2h", 7_200_000],
  ] as const)("duration %s is %d ms", (text, ms) => {
    expect(parseDuration(text)).toEqual({ ok: true, value: ms });
  });

  it.each(["0s", "0.0001s", "30", "30 sec"])("duration %s is refused", (text) => {
    expect(parseDuration(text).ok).toBe(false);
  });

  it("formats for people", () => {
    expect(formatBytes(256 * 2 ** 20)).toBe("256 MiB");
    expect(formatBytes(1.5 * 2 ** 30)).toBe("1.5 GiB");
    expect(formatBytes(100)).toBe("100 bytes");
    expect(formatDuration(30_000)).toBe("30 s");
    expect(formatDuration(90_000)).toBe("1.5 min");
    expect(formatDuration(250)).toBe("250 ms");
  });
});

describe("docker.memoryLimit", () => {
  const host = createFixtureHost({ dirs: ["/home/u/proj"], files: [] }, { cwd: "/home/u/proj", home: "/home/u" });
  const memory = (memoryLimit: unknown): unknown =>
    compileSettings({
      text: JSON.stringify({ docker: { image: "ubuntu:22.04", memoryLimit } }),
      file: "s.json",
      host,
      target: "linux",
    }).policy?.limits.memory?.value;

  // The Rust port's README writes bytes as a number; docker's own CLI writes "512m".
  it.each([
    [536870912, 536870912],
    ["512m", 536870912],
  ] as const)("%s is %d bytes", (given, bytes) => {
    expect(memory(given)).toBe(bytes);
  });

  it.each([0, 1.5, -1, "lots"])("%s is refused", (given) => {
    expect(memory(given)).toBeUndefined();
  });
});
