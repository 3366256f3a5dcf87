/**
 * Path-scoped unix sockets on Linux (network.allowUnixSockets): a listed socket can be connected
 * to (a real ssh-agent: `ssh-add -l` works), any other pathname socket is refused (a
 * docker.sock-like listener stays unreachable unless listed), and datagram unix sockets stay
 * refused. Real bwrap, root and srt-test; the listeners run on the host, outside the sandbox.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lacking, unavailable } from "../support/requirements.js";
import {
  type Box,
  boxesUnder,
  engines,
  eventually,
  missingTestUser,
  runnersFor,
  runtimeArgs,
  sh,
  skipReason,
  supported,
  writeSettings,
} from "./support.js";

const sshAgent = ["/usr/bin/ssh-agent"].find((p) => existsSync(p));
const python = ["/usr/bin/python3"].find((p) => existsSync(p));

/** A listener like docker.sock: answers "pong" to every connection. */
async function listener(path: string, uid: number): Promise<Server> {
  const server = createServer((c) => c.end("pong\n"));
  await new Promise<void>((r) => server.listen(path, r));
  spawnSync("chown", [String(uid), path]);
  return server;
}

/** Shell (python3): connect to $1, print what the peer said, or the error's errno name. */
const CONNECT = (path: string): string =>
  `${python} -c 'import socket,errno,sys
try:
  s=socket.socket(socket.AF_UNIX)
  s.connect(sys.argv[1]); print(s.recv(16).decode().strip())
except OSError as e: print(errno.errorcode[e.errno])' ${path}`;

const DGRAM = `${python} -c 'import socket,errno
try:
  socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); print("made")
except OSError as e: print(errno.errorcode[e.errno])'`;

describe.skipIf(lacking(!supported, skipReason))("path-scoped unix sockets", () => {
  if (missingTestUser) unavailable("as srt-test: user srt-test does not exist (useradd -m srt-test)");
  if (python === undefined) unavailable("these tests need python3 in /usr/bin");

  describe.each(engines)("under %s", (engine) => {
    const useBox = boxesUnder(engine);
    describe.each(runnersFor(engine))("as %s", (runner) => {
      const withSockets = async (b: Box, fn: (listed: string, other: string) => Promise<void>): Promise<void> => {
        const listed = join(b.outside, "listed.sock");
        const other = join(b.outside, "docker.sock");
        const servers = [await listener(listed, b.uid), await listener(other, b.uid)];
        try {
          await fn(listed, other);
        } finally {
          for (const s of servers) s.close();
        }
      };

      it.concurrent(
        "a listed socket connects; an unlisted docker.sock-like one is refused and reported; datagram stays refused",
        async (ctx) => {
          const b = useBox(ctx, runner);
          await withSockets(b, async (listed, other) => {
            writeSettings(b, { network: { allowUnixSockets: [listed] } });
            const out = await sh(
              b,
              [`echo listed=$(${CONNECT(listed)})`, `echo other=$(${CONNECT(other)})`, `echo dgram=$(${DGRAM})`].join(
                "\n",
              ),
            );
            expect(out.stdout).toContain("listed=pong");
            expect(out.stdout).toContain("other=EACCES");
            expect(out.stdout).toContain("dgram=EPERM");
            expect(out.stderr).toContain(`"${other}" (connect: /network/allowUnixSockets)`);
            // Without the list, no unix socket can be made at all (as before).
            writeSettings(b, {});
            const none = await sh(b, `echo listed=$(${CONNECT(listed)})`);
            expect(none.stdout).toContain("listed=EPERM");
          });
        },
      );

      if (sshAgent === undefined)
        unavailable("the ssh-agent test needs openssh-client (apt-get install openssh-client)");
      else
        it.concurrent(
          "ssh-add -l against a real ssh-agent works when its socket is listed, and fails when not",
          async (ctx) => {
            const b = useBox(ctx, runner);
            const sock = join(b.outside, "agent.sock");
            const agent: ChildProcess = spawn(sshAgent, ["-D", "-a", sock], {
              stdio: "ignore",
              // ssh-agent answers only its own user (and root).
              uid: b.uid,
              gid: b.gid,
            });
            try {
              expect(await eventually(() => existsSync(sock))).toBe(true);
              writeSettings(b, { network: { allowUnixSockets: [sock] } });
              const env = { SSH_AUTH_SOCK: sock };
              const listed = await sh(b, "ssh-add -l; echo rc=$?", { env });
              // 1: the agent answered and holds no identities; 2: no agent could be reached.
              expect(listed.stdout + listed.stderr).toContain("The agent has no identities.");
              expect(listed.stdout).toContain("rc=1");
              writeSettings(b, { network: { allowUnixSockets: [join(b.outside, "another.sock")] } });
              const unlisted = await sh(b, "ssh-add -l; echo rc=$?", { env });
              expect(unlisted.stdout).toContain("rc=2");
            } finally {
              agent.kill("SIGTERM");
            }
          },
        );
    });
  });
});
