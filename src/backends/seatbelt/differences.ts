/**
 * Where the same policy means different things on Linux (bubblewrap mounts +
 * seccomp) and on macOS (a Seatbelt profile), in words `srt explain` can show.
 * Only differences this policy actually touches are listed, phrased from the
 * target's side. Each one follows from how the backends work:
 * - Linux enforces files with mounts made from what `expand` found at compile
 *   time; Seatbelt matches paths and regexes on every access, so it also
 *   covers files created later.
 * - Linux has network and IPC namespaces; macOS has neither.
 * - Linux checks the path of a unix socket's connect (srt's supervisor), not of its bind.
 */
import type { Policy } from "../../compiler/ir.js";
import type { Target } from "../../compiler/compile.js";
import { globSubtree } from "./filesystem.js";

export function platformDifferences(policy: Policy, target: Target): string[] {
  const onMac = target === "macos";
  const out: string[] = [];
  const say = (mac: string, linux: string): void =>
    void out.push(onMac ? `${mac} (on Linux: ${linux})` : `${linux} (on macOS: ${mac})`);

  for (const r of policy.filesystem.rules) {
    if (r.kind === "glob") {
      const n = `${r.matches} match${r.matches === 1 ? "" : "es"} found when compiling`;
      if (r.effect === "deny")
        say(`${r.origin}: deny ${r.access} ${r.pattern} also covers files created later`, `only the ${n} are denied`);
      else if (globSubtree(r.pattern).exact)
        say(`${r.origin}: allow ${r.access} ${r.pattern} also covers files created later`, `only the ${n} are allowed`);
      else
        say(
          `${r.origin}: allow ${r.access} ${r.pattern} uses a character class Seatbelt cannot spell exactly, so only the ${n} are allowed`,
          `only the ${n} are allowed`,
        );
    } else if (r.effect === "deny" && r.access === "read" && r.node === "absent") {
      say(
        `${r.origin}: ${r.path} does not exist yet; it stays unreadable if it is created later`,
        `nothing is masked, so a file created there later is readable`,
      );
    }
  }
  const depthLimit = policy.options.mandatoryDenySearchDepth;
  if (policy.filesystem.rules.some((r) => r.access === "write" && r.effect === "allow")) {
    say(
      "mandatory denies of project names (git's hooks, config and commondir, agent, editor and tool config) apply at every depth under each writable root, including files created later",
      `new ones are refused at every depth (srt's supervisor sees every creating call); one that exists is read-only where the compile-time search found it (depth ${depthLimit.value}, ${depthLimit.origin}), and one beyond the search can be rewritten in place`,
    );
  }
  const net = policy.network;
  if (net.allowAllUnixSockets.value)
    say(
      `${net.allowAllUnixSockets.origin}: allowAllUnixSockets lets the command connect to any unix socket path`,
      "any unix socket may be created and connected",
    );
  else if (net.unixSockets.length > 0)
    say(
      `allowUnixSockets: only ${net.unixSockets.map((s) => s.path).join(", ")} may be connected to or bound`,
      "only these may be connected to (srt's supervisor checks each connect's path); binding is not checked per path (a stream socket may be bound wherever the command may write), and datagram unix sockets stay refused",
    );
  if (net.allowLocalBinding.value)
    say(
      `${net.allowLocalBinding.origin}: servers listen on the host's own loopback, reachable by every local process`,
      "servers listen on the sandbox's private loopback, reachable only from inside",
    );
  say(
    "the command can connect only to the proxy ports on the host's loopback, no other local port",
    "the command has its own network namespace; only the proxy bridge is reachable",
  );
  say(
    "POSIX shared memory and semaphore names are host-global",
    "SysV and POSIX IPC are private to the sandbox (IPC namespace, private /dev/shm)",
  );
  if (policy.options.allowPty.value)
    say(
      `${policy.options.allowPty.origin}: allowPty allows creating pseudo-terminals and ioctls on them`,
      "the sandbox gets a private /dev/pts",
    );
  else
    say(
      "terminal ioctls are denied, so programs see no terminal (isatty is false) unless allowPty is set",
      "the terminal is usable; TIOCSTI is blocked by seccomp and --new-session",
    );
  for (const m of net.masks?.entries ?? [])
    if (m.source.kind === "file")
      say(
        `${m.origin}: the masked file ${m.source.path} stays unreadable, its secret never injected (Seatbelt cannot put a masked copy in its place)`,
        "the command reads a copy holding the sentinel, bound over the file",
      );
  const linuxOnly = [policy.options.enableWeakerNestedSandbox, policy.options.allowNestedUserNamespaces].filter(
    (f) => f.value,
  );
  for (const f of linuxOnly) say(`${f.origin} has no meaning and is ignored`, `${f.origin} is in effect`);
  return out;
}
