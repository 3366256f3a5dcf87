/** `srt explain`'s Docker section says what the Docker mode enforces: srt's supervisor, TLS and masks as runc. */
import { describe, expect, it } from "vitest";
import { compile } from "../../src/api/compile.js";
import { explainDocker } from "../../src/cli/explain-docker.js";

describe("srt explain, Docker", () => {
  const settings = { docker: { image: "ubuntu:22.04" } };
  const { ir } = compile(settings, { cwd: "/tmp", home: "/root", target: "linux" });

  it("names the supervisor as the container's first process and no longer calls the mode weaker", () => {
    const lines = explainDocker(ir!, settings, {});
    const text = lines.join("\n");
    expect(lines[0]).toMatch(/^Docker /);
    expect(text).toContain("srt's supervisor as the container's first process");
    expect(text).toContain("TLS termination and masked credentials as under runc");
    expect(text).not.toContain("weaker");
    expect(text).not.toMatch(/masks are refused/);
  });

  it("says nothing without the docker key or a --docker-* option", () => {
    expect(explainDocker(ir!, {}, {})).toEqual([]);
  });
});
