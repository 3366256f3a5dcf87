/**
 * srt under Docker as the unprivileged user `srt-test`, a member of the
 * engine's socket group (a private dockerd started with `-G srt-test`,
 * test/support/dockerd.ts), as a user of the `docker` group uses the host's
 * engine. srt passes the caller's uid:gid to the container:
 *   - a write outside the writable roots, socket(AF_UNIX) and a protected
 *     name are refused; a direct connection fails; what the command writes
 *     is owned by srt-test on the host;
 *   - a policy that allows a host is refused before anything runs (SRT570):
 *     the engine is rootful, its containers' network namespaces belong to the
 *     host's user namespace, and srt-test cannot enter them to put srt's
 *     proxies there, so the allowed/denied checks cannot run as srt-test
 *     against this engine (they run as root in docker.test.ts).
 */
import { lstatSync, existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lacking } from "../support/requirements.js";
import { missingDocker, srtContainers, startPrivateDocker, type PrivateDocker } from "../support/dockerd.js";
import { startHttpServer, type TestServer } from "../network/servers.js";
import { missingTestUser, report, runners, srt, supported, skipReason, useBox, type Box } from "./support.js";

const marker = `dku${process.pid}`;
const noUser = !runners.includes("srt-test") || missingTestUser;

describe.skipIf(
  lacking(
    !supported || missingDocker !== undefined || noUser,
    missingDocker ?? (noUser ? "the tests run as root with a user srt-test" : skipReason),
  ),
)("srt under Docker as a member of the engine's group (srt-test)", () => {
  let engine: PrivateDocker;
  let web: TestServer;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    engine = await startPrivateDocker({ group: "srt-test" });
    env = { DOCKER_HOST: engine.host };
    web = await startHttpServer(marker);
  }, 300_000);
  afterAll(async () => {
    await web?.close();
    await engine?.stop();
  }, 60_000);

  const docker = (box: Box, script: string) =>
    srt(box, ["--runtime", "docker", "--settings", box.settings, "-q", "-c", script], { env, timeoutMs: 60_000 });

  it("refuses the escapes; the command runs and writes as srt-test", async (ctx) => {
    const box = useBox(ctx, "srt-test");
    const script = [
      "echo uid=$(id -u):$(id -g)",
      `(echo x > ${box.outside}/w) 2>/dev/null && echo outside=written || echo outside=refused`,
      `echo x > ${box.work}/w && echo work=written`,
      `(echo x > ${box.work}/.mcp.json) 2>/dev/null && echo protected=written || echo protected=refused`,
      `python3 -c 'import socket; socket.socket(socket.AF_UNIX)' 2>/dev/null && echo unix=made || echo unix=refused`,
      `curl -s -m 5 --noproxy '*' http://127.0.0.1:${web.port}/direct >/dev/null && echo direct=connected || echo direct=failed`,
    ].join("\n");
    const out = await docker(box, script);
    expect(out.status, out.stderr).toBe(0);
    expect(report(out)).toEqual({
      uid: `${box.uid}:${box.gid}`,
      outside: "refused",
      work: "written",
      protected: "refused",
      unix: "refused",
      direct: "failed",
    });
    const written = lstatSync(join(box.work, "w"));
    expect([written.uid, written.gid]).toEqual([box.uid, box.gid]);
    expect(existsSync(join(box.outside, "w"))).toBe(false);
    expect(existsSync(join(box.work, ".mcp.json"))).toBe(false);
    expect(web.seen).not.toContain("GET /direct");
    expect(srtContainers(engine)).toEqual([]);
  });

  it("refuses a policy that allows a host (SRT570): nothing runs", async (ctx) => {
    const box = useBox(ctx, "srt-test", {}, { network: { allowedDomains: [`127.0.0.1:${web.port}`] } });
    const out = await docker(box, `touch ${box.work}/ran`);
    expect(out.status).toBe(1);
    expect(out.stderr).toContain("srt: error SRT570: the Docker engine runs as root and srt as uid");
    expect(existsSync(join(box.work, "ran"))).toBe(false);
    expect(srtContainers(engine)).toEqual([]);
  });
});
