/**
 * Numbers from the Linux UAPI headers the filter is built from. Each one is
 * quoted with the header it comes from so a reviewer can check it there.
 */

/** linux/filter.h + linux/bpf_common.h: classic BPF opcode parts. */
export const BPF = {
  LD: 0x00,
  ALU: 0x04,
  JMP: 0x05,
  RET: 0x06,
  W: 0x00,
  ABS: 0x20,
  K: 0x00,
  AND: 0x50,
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
} as const;

/** Full opcodes of the few instruction forms the compiler emits. */
export const OPCODE = {
  ldAbsW: BPF.LD | BPF.W | BPF.ABS, // 0x20
  andK: BPF.ALU | BPF.AND | BPF.K, // 0x54
  ja: BPF.JMP | BPF.JA, // 0x05
  jeqK: BPF.JMP | BPF.JEQ | BPF.K, // 0x15
  jgtK: BPF.JMP | BPF.JGT | BPF.K, // 0x25
  jgeK: BPF.JMP | BPF.JGE | BPF.K, // 0x35
  jsetK: BPF.JMP | BPF.JSET | BPF.K, // 0x45
  retK: BPF.RET | BPF.K, // 0x06
} as const;

/** linux/filter.h BPF_MAXINSNS: the kernel refuses longer programs. */
export const BPF_MAXINSNS = 4096;

/** Classic BPF conditional jumps carry 8-bit forward offsets (struct sock_filter jt/jf). */
export const MAX_COND_JUMP = 255;

/**
 * linux/seccomp.h struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer;
 * __u64 args[6]. Both supported arches are little-endian, so the low 32 bits of
 * args[i] are at 16 + 8*i; the high word (+4) is deliberately never loaded.
 */
export const SECCOMP_DATA = {
  nr: 0,
  arch: 4,
  argLow: (index: number): number => 16 + 8 * index,
} as const;

/** linux/seccomp.h return actions (the low 16 bits carry data, e.g. the errno). */
export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  ALLOW: 0x7fff0000,
  DATA: 0x0000ffff,
} as const;

/** linux/audit.h: EM_* | __AUDIT_ARCH_64BIT (0x80000000) | __AUDIT_ARCH_LE (0x40000000). */
export const AUDIT_ARCH = {
  X86_64: 0xc000003e, // EM_X86_64 62
  I386: 0x40000003, // EM_386 3
  AARCH64: 0xc00000b7, // EM_AARCH64 183
  ARM: 0x40000028, // EM_ARM 40
} as const;

/** arch/x86/include/uapi/asm/unistd.h: x32 syscalls are native numbers with this bit set. */
export const X32_SYSCALL_BIT = 0x40000000;

/** asm-generic/errno-base.h, asm-generic/errno.h. */
export const ERRNO = { EPERM: 1, ENOSYS: 38 } as const;

/** linux/socket.h address families. */
export const AF = { UNIX: 1, VSOCK: 40 } as const;

/** linux/net.h socket types; the type argument also carries SOCK_NONBLOCK/SOCK_CLOEXEC flags above 0xf. */
export const SOCK = { STREAM: 1, DGRAM: 2, RAW: 3, SEQPACKET: 5, TYPE_MASK: 0xf } as const;

/** linux/sched.h. */
export const CLONE_NEWUSER = 0x10000000;

/** asm-generic/ioctls.h (x86_64 and arm64 both use the generic values). */
export const IOCTL = { TIOCSTI: 0x5412, TIOCLINUX: 0x541c } as const;

/** asm-generic/fcntl.h (x86_64 and arm64 both): open's O_CREAT. */
export const O_CREAT = 0x40;
/** asm-generic/fcntl.h: the flags that open an existing file for writing (O_WRONLY, O_RDWR, O_TRUNC). */
export const O_WRITING = 0x1 | 0x2 | 0x200;
