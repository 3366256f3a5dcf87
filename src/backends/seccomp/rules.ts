/**
 * The catalog of seccomp rules. Every rule closes a known way out of a
 * bwrap sandbox (DESIGN.md §3); `why` says which, and is printed in the
 * disassembly so a golden diff explains itself.
 *
 * A rule applies when its syscall is made and every condition holds. Each
 * condition reads the low 32 bits of one argument: the arguments checked here
 * are `int`/`unsigned int` to the kernel (clone's flags are truncated to 32
 * bits by the kernel too), so the kernel ignores high bits that a 64-bit
 * compare would see — `socket(0xffffffff00000001, …)` is AF_UNIX.
 */
import { AF, CLONE_NEWUSER, IOCTL, O_CREAT, O_WRITING, SOCK } from "./constants.js";
import type { ArgIndex } from "./instructions.js";
import type { SeccompSwitch } from "./options.js";
import type { SyscallName } from "./syscalls.js";

/** A test of one argument's low word, optionally masked first. */
export type Condition =
  | {
      readonly kind: "eq";
      readonly arg: ArgIndex;
      readonly name: string;
      readonly mask?: number;
      readonly value: number;
      readonly text: string;
    }
  | {
      readonly kind: "ne";
      readonly arg: ArgIndex;
      readonly name: string;
      readonly mask?: number;
      readonly value: number;
      readonly text: string;
    }
  | {
      readonly kind: "any-bit";
      readonly arg: ArgIndex;
      readonly name: string;
      readonly bits: number;
      readonly text: string;
    };

/** "notify": the supervisor (native/srt-supervise) decides, and performs the call itself when it may proceed. */
export type Verdict = "eperm" | "enosys" | "notify";

export interface SeccompRule {
  readonly id: string;
  readonly syscalls: readonly SyscallName[];
  /** All must hold; empty = every call. */
  readonly when: readonly Condition[];
  readonly verdict: Verdict;
  /** The switch that removes this rule when true, if any. */
  readonly relaxedBy?: SeccompSwitch;
  /** A rule that exists only when this switch is true (the supervisor's traps, path-scoped unix sockets). */
  readonly onlyWith?: SeccompSwitch;
  readonly why: string;
}

const domainIs = (value: number, text: string): Condition => ({ kind: "eq", arg: 0, name: "domain", value, text });
const creates = (arg: ArgIndex): Condition => ({
  kind: "any-bit",
  arg,
  name: "flags",
  bits: O_CREAT,
  text: "flags & O_CREAT",
});
const writes = (arg: ArgIndex): Condition => ({
  kind: "any-bit",
  arg,
  name: "flags",
  bits: O_WRITING,
  text: "flags & (O_WRONLY|O_RDWR|O_TRUNC)",
});
const writeOpenWhy =
  "an existing protected file (one deeper than srt's search is not mounted read-only) is refused by srt's supervisor, which opens the rest itself and reports what the policy refused";
/** A mode with an execute bit: making a file executable is the only mode change that adds to what runs. */
const execBits = (arg: ArgIndex): Condition => ({
  kind: "any-bit",
  arg,
  name: "mode",
  bits: 0o111,
  text: "mode & 0111",
});
const chmodWhy =
  "making an existing protected file executable (a git hook deeper than srt's search, not mounted read-only) makes git run it on the host; the supervisor refuses that and performs the rest (a mode without an execute bit adds nothing that runs and is not trapped)";
const supervisedWhy =
  "a new name (a protected one at any depth, in a directory made during the run) is decided by srt's supervisor, which makes the call itself when allowed";
const connectedTypes: readonly Condition[] = [
  { kind: "ne", arg: 1, name: "type", mask: SOCK.TYPE_MASK, value: SOCK.STREAM, text: "(type & 0xf) != SOCK_STREAM" },
  {
    kind: "ne",
    arg: 1,
    name: "type",
    mask: SOCK.TYPE_MASK,
    value: SOCK.SEQPACKET,
    text: "(type & 0xf) != SOCK_SEQPACKET",
  },
];

export const seccompRules: readonly SeccompRule[] = [
  {
    id: "unix-socket",
    syscalls: ["socket"],
    when: [domainIs(AF.UNIX, "domain == AF_UNIX")],
    verdict: "eperm",
    relaxedBy: "allowUnixSockets",
    why: "a unix socket reaches host services (docker.sock, D-Bus, agents) around the network proxy",
  },
  {
    id: "unix-socketpair",
    syscalls: ["socketpair"],
    when: [
      domainIs(AF.UNIX, "domain == AF_UNIX"),
      // SOCK_NONBLOCK/SOCK_CLOEXEC live above the type bits; af_unix also turns SOCK_RAW into SOCK_DGRAM,
      // so anything but the two connected types is refused rather than naming DGRAM alone.
      {
        kind: "ne",
        arg: 1,
        name: "type",
        mask: SOCK.TYPE_MASK,
        value: SOCK.STREAM,
        text: "(type & 0xf) != SOCK_STREAM",
      },
      // A SEQPACKET pair is connected for good: af_unix's unix_seqpacket_sendmsg drops any address given
      // to sendto(), and connect() on it fails (EISCONN). Rust's std spawns children through one (cargo
      // starting rustc failed with EPERM without it).
      {
        kind: "ne",
        arg: 1,
        name: "type",
        mask: SOCK.TYPE_MASK,
        value: SOCK.SEQPACKET,
        text: "(type & 0xf) != SOCK_SEQPACKET",
      },
    ],
    verdict: "eperm",
    relaxedBy: "allowUnixSockets",
    why: "a datagram pair (SOCK_DGRAM, or SOCK_RAW which af_unix makes DGRAM) can sendto() any visible pathname socket (/dev/log); stream and seqpacket pairs stay (child stdio in libuv and Python, process spawning in Rust)",
  },
  {
    id: "vsock-socket",
    syscalls: ["socket"],
    when: [domainIs(AF.VSOCK, "domain == AF_VSOCK")],
    verdict: "eperm",
    why: "AF_VSOCK talks to the hypervisor host outside every network namespace",
  },
  {
    id: "io-uring",
    syscalls: ["io_uring_setup", "io_uring_enter", "io_uring_register"],
    when: [],
    verdict: "eperm",
    why: "io_uring opens files and sockets without passing through the syscall checks of this filter",
  },
  {
    id: "user-namespace",
    syscalls: ["unshare", "clone"],
    when: [{ kind: "any-bit", arg: 0, name: "flags", bits: CLONE_NEWUSER, text: "flags & CLONE_NEWUSER" }],
    verdict: "eperm",
    relaxedBy: "allowNestedUserNamespaces",
    why: "a new user namespace holds CAP_SYS_ADMIN over its own mounts and can undo the read-only binds",
  },
  {
    id: "clone3",
    syscalls: ["clone3"],
    when: [],
    verdict: "enosys",
    why: "clone3's flags sit behind a pointer no filter can read; ENOSYS makes libc fall back to clone, which is checked",
  },
  {
    id: "setns",
    syscalls: ["setns"],
    when: [],
    verdict: "eperm",
    why: "joining a namespace through an inherited or /proc fd leaves the sandbox's namespaces",
  },
  {
    id: "mount",
    syscalls: [
      "mount",
      "umount2",
      "pivot_root",
      "open_tree",
      "move_mount",
      "fsopen",
      "fsconfig",
      "fsmount",
      "fspick",
      "mount_setattr",
    ],
    when: [],
    verdict: "eperm",
    why: "changing mounts can uncover masked paths or make read-only binds writable",
  },
  {
    id: "tty-tiocsti",
    syscalls: ["ioctl"],
    when: [{ kind: "eq", arg: 1, name: "cmd", value: IOCTL.TIOCSTI, text: "cmd == TIOCSTI" }],
    verdict: "eperm",
    why: "TIOCSTI types commands into the terminal the user's shell reads",
  },
  {
    id: "tty-tioclinux",
    syscalls: ["ioctl"],
    when: [{ kind: "eq", arg: 1, name: "cmd", value: IOCTL.TIOCLINUX, text: "cmd == TIOCLINUX" }],
    verdict: "eperm",
    why: "TIOCLINUX can paste the console selection into the terminal's input",
  },
  {
    id: "keyring",
    syscalls: ["keyctl", "add_key", "request_key"],
    when: [],
    verdict: "eperm",
    why: "kernel keyrings are shared per uid outside the sandbox and may hold the user's secrets",
  },
  {
    id: "bpf",
    syscalls: ["bpf"],
    when: [],
    verdict: "eperm",
    why: "eBPF is a large kernel attack surface and can observe the host",
  },
  {
    id: "userfaultfd",
    syscalls: ["userfaultfd"],
    when: [],
    verdict: "eperm",
    why: "userfaultfd lets an exploit stall the kernel mid-copy and win races reliably",
  },
  {
    id: "perf-event",
    syscalls: ["perf_event_open"],
    when: [],
    verdict: "eperm",
    why: "perf events observe other processes and the kernel and are a frequent exploit surface",
  },
  {
    id: "kexec",
    syscalls: ["kexec_load", "kexec_file_load"],
    when: [],
    verdict: "eperm",
    why: "loading a new kernel replaces every protection",
  },
  {
    id: "kernel-module",
    syscalls: ["init_module", "finit_module", "delete_module"],
    when: [],
    verdict: "eperm",
    why: "kernel modules run with full kernel privileges",
  },
  {
    id: "unix-socket-dgram",
    syscalls: ["socket"],
    when: [domainIs(AF.UNIX, "domain == AF_UNIX"), ...connectedTypes],
    verdict: "eperm",
    onlyWith: "unixSocketPaths",
    relaxedBy: "allowUnixSockets",
    why: "with allowUnixSockets paths, stream sockets are let through to a connect() the supervisor checks; a datagram socket can sendto() any pathname socket without connecting",
  },
  {
    id: "unix-connect",
    syscalls: ["connect"],
    when: [],
    verdict: "notify",
    onlyWith: "unixSocketPaths",
    relaxedBy: "allowUnixSockets",
    why: "the supervisor connects a unix socket only to a path allowUnixSockets lists (seccomp cannot read the address)",
  },
  {
    id: "create-open",
    syscalls: ["open"],
    when: [creates(1)],
    verdict: "notify",
    onlyWith: "supervised",
    why: supervisedWhy,
  },
  {
    id: "create-openat",
    syscalls: ["openat"],
    when: [creates(2)],
    verdict: "notify",
    onlyWith: "supervised",
    why: supervisedWhy,
  },
  {
    id: "create-name",
    syscalls: [
      "creat",
      "mkdir",
      "mkdirat",
      "mknod",
      "mknodat",
      "rename",
      "renameat",
      "renameat2",
      "link",
      "linkat",
      "symlink",
      "symlinkat",
    ],
    when: [],
    verdict: "notify",
    onlyWith: "supervised",
    why: supervisedWhy,
  },
  {
    id: "write-open",
    syscalls: ["open"],
    when: [writes(1)],
    verdict: "notify",
    onlyWith: "supervised",
    why: writeOpenWhy,
  },
  {
    id: "write-openat",
    syscalls: ["openat"],
    when: [writes(2)],
    verdict: "notify",
    onlyWith: "supervised",
    why: writeOpenWhy,
  },
  {
    id: "truncate",
    syscalls: ["truncate"],
    when: [],
    verdict: "notify",
    onlyWith: "supervised",
    why: "truncate(2) rewrites an existing file by its name, as an open for writing does",
  },
  {
    id: "chmod-exec",
    syscalls: ["chmod", "fchmod"],
    when: [execBits(1)],
    verdict: "notify",
    onlyWith: "supervised",
    why: chmodWhy,
  },
  {
    id: "chmodat-exec",
    syscalls: ["fchmodat", "fchmodat2"],
    when: [execBits(2)],
    verdict: "notify",
    onlyWith: "supervised",
    why: chmodWhy,
  },
  {
    id: "remove-name",
    syscalls: ["unlink", "unlinkat", "rmdir"],
    when: [],
    verdict: "notify",
    onlyWith: "supervised",
    why: "removing a protected file deeper than srt's search changes what git uses there (a nested repository's config or commondir gone sends it to other config and hooks); the supervisor checks the name and removes the rest itself",
  },
  {
    id: "openat2",
    syscalls: ["openat2"],
    when: [],
    verdict: "notify",
    onlyWith: "supervised",
    why: "openat2's flags sit behind a pointer no filter can read: every call goes to the supervisor, which reads them once and opens as openat would, with the same checks",
  },
  {
    id: "unix-bind",
    syscalls: ["bind"],
    when: [],
    verdict: "notify",
    onlyWith: "supervised",
    why: "binding a unix socket to a pathname makes a new name (a protected one at any depth); the filter cannot read the address, so every bind goes to the supervisor, which binds it itself",
  },
];
