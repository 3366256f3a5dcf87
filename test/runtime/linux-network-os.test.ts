/**
 * Node's side of the network session (src/runtime/linux/network-os.ts) with
 * real sockets, unix ones in a temp directory and TCP on 127.0.0.1: the relay
 * to a user's own proxy, and the probe that a library sandbox's proxies answer.
 */
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { nodeNetworkOs } from "../../src/runtime/linux/network-os.js";
import { echoServer, exchange } from "../proxy/harness.js";

const scratch = mkdtempSync(join(tmpdir(), "srt-network-os-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;
const socketPath = (): string => join(scratch, `s${n++}.sock`);

/** A unix server that accepts and, if told to, answers the first bytes it gets. */
async function unixServer(answer: boolean): Promise<{ path: string; close(): Promise<void> }> {
  const path = socketPath();
  const server = net.createServer((s) => {
    s.on("error", () => undefined);
    if (answer) s.once("data", () => s.write(Uint8Array.from([5, 0])));
    else s.resume(); // reads and drops the greeting, so the probe's hang-up reaches 'end'
  });
  await new Promise<void>((r) => server.listen(path, r));
  // The probe hangs up in every case, so closing waits for nothing but the probe.
  return { path, close: () => new Promise((r) => server.close(() => r())) };
}

describe("relay", () => {
  it("carries each connection on its unix socket to 127.0.0.1:port, both ways", async () => {
    const echo = await echoServer();
    const path = socketPath();
    const relay = await nodeNetworkOs.relay(path, echo.port);
    const client = net.connect(path);
    const echoed = new Promise<string>((r) => client.once("data", (d) => r(d.toString())));
    client.write("through the relay");
    expect(await echoed).toBe("through the relay");
    client.destroy();
    await relay.close();
    await echo.close();
  });

  it("close() ends open connections instead of waiting for them", async () => {
    const echo = await echoServer();
    const path = socketPath();
    const relay = await nodeNetworkOs.relay(path, echo.port);
    const client = net.connect(path);
    const closed = new Promise<void>((r) => client.on("close", () => r()));
    client.on("error", () => undefined);
    await new Promise<void>((r) => client.once("connect", () => r()));
    await relay.close();
    await closed;
    await expect(exchange(path, "x")).resolves.toHaveLength(0);
    await echo.close();
  });

  it("a socket path already taken is an error, not a relay somewhere else", async () => {
    const taken = await unixServer(false);
    await expect(nodeNetworkOs.relay(taken.path, 1)).rejects.toThrow(/EADDRINUSE/);
    await taken.close();
  });
});

describe("probe", () => {
  it("without a greeting, a socket that accepts is enough", async () => {
    const s = await unixServer(false);
    await expect(nodeNetworkOs.probe(s.path, undefined, 2000)).resolves.toBeUndefined();
    await s.close();
  });

  it("with a greeting, it waits for the answer", async () => {
    const s = await unixServer(true);
    await expect(nodeNetworkOs.probe(s.path, Uint8Array.from([5, 1, 0]), 2000)).resolves.toBeUndefined();
    await s.close();
  });

  it("a socket that accepts but never answers the greeting times out", async () => {
    const s = await unixServer(false);
    await expect(nodeNetworkOs.probe(s.path, Uint8Array.from([5, 1, 0]), 100)).rejects.toThrow(
      "did not answer within 100 ms",
    );
    await s.close();
  });

  it("no socket at the path: not reachable, with the error code", async () => {
    await expect(nodeNetworkOs.probe(join(scratch, "absent.sock"), undefined, 2000)).rejects.toThrow(
      "are not reachable (ENOENT)",
    );
  });
});
