/**
 * Table-driven syscall cases shared by the interpreter tests: what the filter
 * must answer for each call, per option set. Written from DESIGN.md §3 and
 * issue 3, not from the compiler's rule catalog.
 */
import { syscallNumber, type SeccompArch, type SyscallName } from "../../src/backends/seccomp/index.js";

export type Expect = "allow" | "eperm" | "enosys" | "kill" | "notify";

export interface Case {
  readonly name: string;
  readonly call: SyscallName | { readonly nr: Readonly<Record<SeccompArch, number>> };
  readonly args?: readonly bigint[];
  /** Default options (nothing relaxed). */
  readonly expect: Expect;
  /** With allowUnixSockets / allowNestedUserNamespaces set, when different. */
  readonly unix?: Expect;
  readonly userns?: Expect;
}

export const AF_INET = 2n;
export const AF_UNIX = 1n;
export const AF_INET6 = 10n;
export const AF_NETLINK = 16n;
export const AF_VSOCK = 40n;
export const SOCK_STREAM = 1n;
export const SOCK_DGRAM = 2n;
export const SOCK_RAW = 3n;
export const SOCK_SEQPACKET = 5n;
export const SOCK_NONBLOCK = 0o4000n;
export const SOCK_CLOEXEC = 0o2000000n;
export const CLONE_NEWUSER = 0x10000000n;
export const CLONE_NEWNS = 0x00020000n;
export const CLONE_NEWPID = 0x20000000n;
export const CLONE_NEWNET = 0x40000000n;
export const SIGCHLD = 17n;
/** glibc pthread_create's clone flags (CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|SETTLS|PARENT_SETTID|CHILD_CLEARTID). */
export const PTHREAD_CLONE_FLAGS = 0x3d0f00n;
export const HIGH = 0xffffffff00000000n;
export const TIOCSTI = 0x5412n;
export const TIOCLINUX = 0x541cn;
export const TCGETS = 0x5401n;
export const FIONREAD = 0x541bn;

const nr = (x86_64: number, aarch64: number) => ({ nr: { x86_64, aarch64 } });

export const cases: readonly Case[] = [
  // Ordinary syscalls pass untouched.
  { name: "write", call: nr(1, 64), args: [1n, 0n, 0n], expect: "allow" },
  { name: "getpid", call: nr(39, 172), expect: "allow" },
  { name: "openat", call: nr(257, 56), args: [0xffffff9cn, 0n, 0n], expect: "allow" },
  { name: "execve", call: nr(59, 221), expect: "allow" },
  // socket
  { name: "socket(AF_INET, SOCK_STREAM)", call: "socket", args: [AF_INET, SOCK_STREAM, 0n], expect: "allow" },
  { name: "socket(AF_INET6, SOCK_DGRAM)", call: "socket", args: [AF_INET6, SOCK_DGRAM, 0n], expect: "allow" },
  { name: "socket(AF_NETLINK)", call: "socket", args: [AF_NETLINK, SOCK_RAW, 0n], expect: "allow" },
  {
    name: "socket(AF_UNIX, SOCK_STREAM)",
    call: "socket",
    args: [AF_UNIX, SOCK_STREAM, 0n],
    expect: "eperm",
    unix: "allow",
  },
  {
    name: "socket(AF_UNIX, SOCK_DGRAM|SOCK_CLOEXEC)",
    call: "socket",
    args: [AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0n],
    expect: "eperm",
    unix: "allow",
  },
  {
    name: "socket(0xffffffff00000001) is AF_UNIX",
    call: "socket",
    args: [HIGH | AF_UNIX, SOCK_STREAM, 0n],
    expect: "eperm",
    unix: "allow",
  },
  {
    name: "socket(0x100000001) is AF_UNIX",
    call: "socket",
    args: [0x100000000n | AF_UNIX, SOCK_STREAM, 0n],
    expect: "eperm",
    unix: "allow",
  },
  {
    name: "socket(AF_INET with high word 1) is AF_INET",
    call: "socket",
    args: [0x100000000n | AF_INET, SOCK_STREAM, 0n],
    expect: "allow",
  },
  { name: "socket(AF_VSOCK)", call: "socket", args: [AF_VSOCK, SOCK_STREAM, 0n], expect: "eperm" },
  { name: "socket(AF_VSOCK, high bits)", call: "socket", args: [HIGH | AF_VSOCK, SOCK_STREAM, 0n], expect: "eperm" },
  // socketpair
  {
    name: "socketpair(AF_UNIX, SOCK_STREAM)",
    call: "socketpair",
    args: [AF_UNIX, SOCK_STREAM, 0n, 0n],
    expect: "allow",
  },
  {
    name: "socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK)",
    call: "socketpair",
    args: [AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0n, 0n],
    expect: "allow",
  },
  {
    name: "socketpair(AF_UNIX, SOCK_DGRAM)",
    call: "socketpair",
    args: [AF_UNIX, SOCK_DGRAM, 0n, 0n],
    expect: "eperm",
    unix: "allow",
  },
  {
    name: "socketpair(AF_UNIX, SOCK_DGRAM|SOCK_CLOEXEC)",
    call: "socketpair",
    args: [AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0n, 0n],
    expect: "eperm",
    unix: "allow",
  },
  {
    name: "socketpair(AF_UNIX, SOCK_DGRAM|SOCK_NONBLOCK|SOCK_CLOEXEC)",
    call: "socketpair",
    args: [AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0n, 0n],
    expect: "eperm",
    unix: "allow",
  },
  {
    name: "socketpair(AF_UNIX, SOCK_RAW) is a DGRAM pair",
    call: "socketpair",
    args: [AF_UNIX, SOCK_RAW, 0n, 0n],
    expect: "eperm",
    unix: "allow",
  },
  {
    name: "socketpair(AF_UNIX, SOCK_SEQPACKET) stays connected (Rust spawns through one)",
    call: "socketpair",
    args: [AF_UNIX, SOCK_SEQPACKET, 0n, 0n],
    expect: "allow",
  },
  {
    name: "socketpair(AF_UNIX, SOCK_SEQPACKET|SOCK_CLOEXEC)",
    call: "socketpair",
    args: [AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0n, 0n],
    expect: "allow",
  },
  {
    name: "socketpair(AF_UNIX, 4) is refused (not a connected type)",
    call: "socketpair",
    args: [AF_UNIX, 4n, 0n, 0n],
    expect: "eperm",
    unix: "allow",
  },
  {
    name: "socketpair(AF_UNIX|high, SOCK_DGRAM|high)",
    call: "socketpair",
    args: [HIGH | AF_UNIX, HIGH | SOCK_DGRAM, 0n, 0n],
    expect: "eperm",
    unix: "allow",
  },
  {
    name: "socketpair(AF_UNIX, SOCK_STREAM|high) stays a stream",
    call: "socketpair",
    args: [AF_UNIX, HIGH | SOCK_STREAM, 0n, 0n],
    expect: "allow",
  },
  {
    name: "socketpair(AF_INET, SOCK_DGRAM) is not unix",
    call: "socketpair",
    args: [AF_INET, SOCK_DGRAM, 0n, 0n],
    expect: "allow",
  },
  // io_uring
  { name: "io_uring_setup", call: "io_uring_setup", args: [8n, 0n], expect: "eperm" },
  { name: "io_uring_enter", call: "io_uring_enter", expect: "eperm" },
  { name: "io_uring_register", call: "io_uring_register", expect: "eperm" },
  // user namespaces
  { name: "unshare(CLONE_NEWUSER)", call: "unshare", args: [CLONE_NEWUSER], expect: "eperm", userns: "allow" },
  {
    name: "unshare(CLONE_NEWNS|CLONE_NEWUSER|CLONE_NEWNET)",
    call: "unshare",
    args: [CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWNET],
    expect: "eperm",
    userns: "allow",
  },
  {
    name: "unshare(HIGH|CLONE_NEWUSER)",
    call: "unshare",
    args: [HIGH | CLONE_NEWUSER],
    expect: "eperm",
    userns: "allow",
  },
  { name: "unshare(CLONE_NEWNS)", call: "unshare", args: [CLONE_NEWNS], expect: "allow" },
  { name: "clone(SIGCHLD) (fork)", call: "clone", args: [SIGCHLD, 0n, 0n, 0n, 0n], expect: "allow" },
  {
    name: "clone(pthread flags)",
    call: "clone",
    args: [PTHREAD_CLONE_FLAGS, 0x7f0000001000n, 0n, 0n, 0n],
    expect: "allow",
  },
  {
    name: "clone(CLONE_NEWUSER|SIGCHLD)",
    call: "clone",
    args: [CLONE_NEWUSER | SIGCHLD],
    expect: "eperm",
    userns: "allow",
  },
  {
    name: "clone(CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNS|SIGCHLD, high bits)",
    call: "clone",
    args: [HIGH | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | SIGCHLD],
    expect: "eperm",
    userns: "allow",
  },
  { name: "clone3", call: "clone3", args: [0x7ffc0000n, 88n], expect: "enosys" },
  { name: "setns", call: "setns", args: [3n, 0n], expect: "eperm" },
  // mount family
  ...(
    [
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
    ] as const
  ).map((call): Case => ({ name: call, call, expect: "eperm" })),
  // terminal injection
  { name: "ioctl(TIOCSTI)", call: "ioctl", args: [0n, TIOCSTI, 0n], expect: "eperm" },
  { name: "ioctl(TIOCSTI|high)", call: "ioctl", args: [0n, HIGH | TIOCSTI, 0n], expect: "eperm" },
  { name: "ioctl(TIOCLINUX)", call: "ioctl", args: [0n, TIOCLINUX, 0n], expect: "eperm" },
  { name: "ioctl(TCGETS)", call: "ioctl", args: [0n, TCGETS, 0n], expect: "allow" },
  {
    name: "ioctl(fd 0x5412, FIONREAD): the fd is not the cmd",
    call: "ioctl",
    args: [TIOCSTI, FIONREAD, 0n],
    expect: "allow",
  },
  {
    name: "ioctl(FIONREAD, arg TIOCSTI): the arg is not the cmd",
    call: "ioctl",
    args: [0n, FIONREAD, TIOCSTI],
    expect: "allow",
  },
  // kernel attack surface
  ...(
    [
      "keyctl",
      "add_key",
      "request_key",
      "bpf",
      "userfaultfd",
      "perf_event_open",
      "kexec_load",
      "kexec_file_load",
      "init_module",
      "finit_module",
      "delete_module",
    ] as const
  ).map((call): Case => ({ name: call, call, expect: "eperm" })),
];

export function numberOf(c: Case, arch: SeccompArch): number {
  const nr = typeof c.call === "string" ? syscallNumber(arch, c.call) : c.call.nr[arch];
  if (nr === undefined) throw new Error(`${c.name}: no such syscall on ${arch}`);
  return nr;
}
