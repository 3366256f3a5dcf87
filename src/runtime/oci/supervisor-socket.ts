/**
 * srt's end of the supervisor's socket, for engines that cannot pass a pipe into a container
 * (Docker, podman; native/srt-supervise/main.c, `--connect`). srt listens on a unix socket in its
 * run directory, bound read-only into the container; the supervisor — the container's first
 * process — connects, reads its configuration until srt shuts down its side, and reports on the
 * same connection, as it does on its pipes under bwrap and runc.
 *
 * One connection only: the first one is the supervisor's (nothing else runs in the container
 * before it), and the listener is closed as soon as it arrives, so the command, started later,
 * cannot connect in its place to forge or hide records. A container that ends without having
 * connected never ran its command: the report says not ready (SRT511).
 */
import type { Server, Socket } from "node:net";
import { readSupervisorReport, type SupervisorReport } from "../linux/supervisor.js";

export interface SupervisorSocket {
  /** What the supervisor said, once its connection ends; not ready when it never connected. */
  readonly report: Promise<SupervisorReport>;
  /** Whether the supervisor has connected (then the report holds why it failed, if it did). */
  connected(): boolean;
  /** The container has ended: if the supervisor has not connected by now, it never will. */
  containerEnded(): void;
  close(): void;
}

/** A connection that arrives after the container's end is still taken if it was already queued. */
const afterEndMs = 200;

export async function listenForSupervisor(
  path: string,
  config: Buffer,
  now: () => string,
  chmod: (path: string, mode: number) => void,
): Promise<SupervisorSocket> {
  const net = await import("node:net");
  let accepted: Socket | undefined;
  let settle: (r: SupervisorReport) => void = () => undefined;
  const report = new Promise<SupervisorReport>((resolve) => (settle = resolve));
  const server: Server = net.createServer({ allowHalfOpen: true }, (socket) => {
    if (accepted !== undefined) {
      socket.destroy();
      return;
    }
    accepted = socket;
    server.close();
    socket.on("error", () => undefined);
    void readSupervisorReport(socket, now).then(settle);
    // Half-closed: the supervisor reads the configuration to its end, and still reports here.
    socket.end(config);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => {
      server.off("error", reject);
      resolve();
    });
  });
  // The container's user may be another uid than srt's (docker.user); the run directory keeps others out.
  chmod(path, 0o666);
  return {
    report,
    connected: () => accepted !== undefined,
    containerEnded() {
      setTimeout(() => {
        if (accepted !== undefined) return;
        server.close();
        settle({ ready: false, failed: "it never connected to srt", refusals: [], dropped: 0 });
      }, afterEndMs).unref();
    },
    close() {
      server.close();
      accepted?.destroy();
    },
  };
}
