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
};

const aarch64: Readonly<Record<SyscallName, number>> = {
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
};

const tables: Readonly<Record<SeccompArch, Readonly<Record<SyscallName, number>>>> = { x86_64, aarch64 };

export function syscallNumber(arch: SeccompArch, name: SyscallName): number {
  return tables[arch][name];
}
