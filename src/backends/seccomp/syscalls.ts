/**
 * Syscall numbers of every syscall a rule names, per architecture.
 *
 * x86_64: arch/x86/entry/syscalls/syscall_64.tbl (checked against
 * /usr/include/x86_64-linux-gnu/asm/unistd_64.h). aarch64 has no table of its
 * own: it uses include/uapi/asm-generic/unistd.h (checked against
 * /usr/include/asm-generic/unistd.h). The numbers differ between the two, so a
 * program built for one arch must never be loaded on the other — the arch check
 * at the top of the program makes that fail closed.
 */

export type SeccompArch = "x86_64" | "aarch64";

export const seccompArches: readonly SeccompArch[] = ["x86_64", "aarch64"];

/** Node's name for a CPU ("x64", "arm64") → the seccomp ABI srt builds for it; undefined where there is none. */
export function seccompArchOf(nodeArch: string): SeccompArch | undefined {
  if (nodeArch === "x64") return "x86_64";
  if (nodeArch === "arm64") return "aarch64";
  return undefined;
}

export const syscallNames = [
  "socket",
  "socketpair",
  "ioctl",
  "io_uring_setup",
  "io_uring_enter",
  "io_uring_register",
  "unshare",
  "clone",
  "clone3",
  "setns",
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
  "open",
  "creat",
  "openat",
  "openat2",
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
  "connect",
  "bind",
  "truncate",
  "chmod",
  "fchmod",
  "fchmodat",
  "fchmodat2",
  "unlink",
  "unlinkat",
  "rmdir",
] as const;

export type SyscallName = (typeof syscallNames)[number];

const x86_64: Readonly<Record<SyscallName, number>> = {
  socket: 41,
  socketpair: 53,
  ioctl: 16,
  io_uring_setup: 425,
  io_uring_enter: 426,
  io_uring_register: 427,
  unshare: 272,
  clone: 56,
  clone3: 435,
  setns: 308,
  mount: 165,
  umount2: 166,
  pivot_root: 155,
  open_tree: 428,
  move_mount: 429,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  fspick: 433,
  mount_setattr: 442,
  keyctl: 250,
  add_key: 248,
  request_key: 249,
  bpf: 321,
  userfaultfd: 323,
  perf_event_open: 298,
  kexec_load: 246,
  kexec_file_load: 320,
  init_module: 175,
  finit_module: 313,
  delete_module: 176,
  open: 2,
  creat: 85,
  openat: 257,
  openat2: 437,
  mkdir: 83,
  mkdirat: 258,
  mknod: 133,
  mknodat: 259,
  rename: 82,
  renameat: 264,
  renameat2: 316,
  link: 86,
  linkat: 265,
  symlink: 88,
  symlinkat: 266,
  connect: 42,
  bind: 49,
  truncate: 76,
  chmod: 90,
  fchmod: 91,
  fchmodat: 268,
  fchmodat2: 452,
  unlink: 87,
  unlinkat: 263,
  rmdir: 84,
};

/**
 * asm-generic has no open, creat, mkdir, mknod, rename, renameat, link, symlink, chmod, unlink or rmdir: on aarch64
 * libc makes every such call through the *at form (absent names are simply not in the program).
 */
const aarch64: Readonly<Partial<Record<SyscallName, number>>> = {
  socket: 198,
  socketpair: 199,
  ioctl: 29,
  io_uring_setup: 425,
  io_uring_enter: 426,
  io_uring_register: 427,
  unshare: 97,
  clone: 220,
  clone3: 435,
  setns: 268,
  mount: 40,
  umount2: 39,
  pivot_root: 41,
  open_tree: 428,
  move_mount: 429,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  fspick: 433,
  mount_setattr: 442,
  keyctl: 219,
  add_key: 217,
  request_key: 218,
  bpf: 280,
  userfaultfd: 282,
  perf_event_open: 241,
  kexec_load: 104,
  kexec_file_load: 294,
  init_module: 105,
  finit_module: 273,
  delete_module: 106,
  openat: 56,
  openat2: 437,
  mkdirat: 34,
  mknodat: 33,
  renameat2: 276,
  linkat: 37,
  symlinkat: 36,
  connect: 203,
  bind: 200,
  truncate: 45,
  fchmod: 52,
  fchmodat: 53,
  fchmodat2: 452,
  unlinkat: 35,
};

const tables: Readonly<Record<SeccompArch, Readonly<Partial<Record<SyscallName, number>>>>> = { x86_64, aarch64 };

/** The syscall's number on `arch`, or undefined where the arch has no such syscall. */
export function syscallNumber(arch: SeccompArch, name: SyscallName): number | undefined {
  return tables[arch][name];
}
