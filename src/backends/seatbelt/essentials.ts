/**
 * What an ordinary command-line process needs under `(deny default)`. Kept
 * small on purpose; every entry says why it is here. Missing on purpose:
 * DNS (mDNSResponder: name lookups are the proxies' job, and a resolver is
 * an exfiltration channel), ioctls on terminals unless allowPty (TIOCSTI
 * would type into the user's shell), and any write outside the policy.
 */
import type { Policy } from "../../compiler/ir.js";
import { messageOf } from "./message.js";
import { anchor, digitRun as digits, lit } from "./regex.js";
import { blank, comment, globalName, globalNamePrefix, literal, regex, rule, target, type Item } from "./sbpl.js";

/** Mach services: name → why a common tool needs it. */
export const machServices: Readonly<Record<string, string>> = {
  "com.apple.system.opendirectoryd.libinfo": "getpwuid/getgrgid: whoami, git, ssh and shells look up the user",
  "com.apple.system.notification_center": "notify(3): libc uses it for time zone and configuration changes",
  "com.apple.system.logger": "syslog(3) from command-line tools",
  "com.apple.logd": "os_log, used by every Apple framework",
  "com.apple.bsd.dirhelper": "confstr(_CS_DARWIN_USER_TEMP_DIR) for per-user temp/cache dirs",
  "com.apple.cfprefsd.daemon": "CFPreferences (system domain), read by Foundation-based tools",
  "com.apple.cfprefsd.agent": "CFPreferences (user domain)",
  "com.apple.trustd.agent": "certificate checks for TLS through the proxies (Security.framework clients)",
};

/** Device files any process may write (reads are allowed everywhere already). */
const writableDevices = ["/dev/null", "/dev/zero", "/dev/tty", "/dev/stdout", "/dev/stderr", "/dev/dtracehelper"];

export function lowerEssentials(policy: Policy, tag: string): Item[] {
  const m = (what: string): string => messageOf(tag, `default:${what}`);
  const items: Item[] = [
    comment("default:process: run programs, fork, signal and inspect processes of this sandbox only"),
    rule("allow", ["process-exec", "process-fork"], m("process")),
    rule("allow", ["signal", "process-info*"], m("process"), [target("same-sandbox")]),
    comment("default:sysctl: read-only kernel parameters (CPU count, OS version, page size)"),
    rule("allow", ["sysctl-read"], m("sysctl")),
    comment(
      "default:mach: the Mach services listed in src/backends/seatbelt/essentials.ts, each for a reason given there",
    ),
    rule("allow", ["mach-lookup"], m("mach"), Object.keys(machServices).sort().map(globalName)),
    comment(
      "default:ipc: POSIX shared memory and semaphores (Python multiprocessing, notify(3)); unlike Linux these names are host-global",
    ),
    rule("allow", ["ipc-posix-shm", "ipc-posix-sem"], m("ipc")),
    comment("default:prefs: reading user defaults; writing them stays denied"),
    rule("allow", ["user-preference-read"], m("prefs")),
    comment("default:exec-map: dyld maps libraries that are not in the shared cache (reads decide what is readable)"),
    rule("allow", ["file-map-executable"], m("exec-map")),
    comment("default:devices: output to the usual devices and inherited descriptors"),
    rule("allow", ["file-write-data"], m("devices"), [
      ...writableDevices.map(literal),
      regex(anchor(lit("/dev/fd/"), digits)),
    ]),
    blank,
  ];
  if (policy.options.allowPty.value) {
    const o = policy.options.allowPty.origin;
    items.push(
      comment(
        `${o}: allowPty: create pseudo-terminals and drive them (ioctls on the pty, which also allow TIOCSTI on it)`,
      ),
      rule("allow", ["pseudo-tty"], messageOf(tag, o)),
      rule("allow", ["file-read*", "file-write*", "file-ioctl"], messageOf(tag, o), [
        literal("/dev/ptmx"),
        regex(anchor(lit("/dev/ttys"), digits)),
      ]),
      blank,
    );
  }
  const mach = policy.network.machLookup;
  if (mach !== undefined)
    items.push(
      comment(`${mach.origin}: network.allowMachLookup: Mach services the settings add (a trailing * is a prefix)`),
      rule(
        "allow",
        ["mach-lookup"],
        messageOf(tag, mach.origin),
        mach.names.map((n) => (n.endsWith("*") ? globalNamePrefix(n.slice(0, -1)) : globalName(n))),
      ),
      blank,
    );
  const apple = policy.options.allowAppleEvents;
  if (apple?.value === true)
    items.push(
      comment(
        `${apple.origin}: allowAppleEvents (WEAKER): Apple Events and Launch Services open requests (open, osascript); what they launch runs outside the sandbox`,
      ),
      rule("allow", ["appleevent-send", "lsopen"], messageOf(tag, apple.origin)),
      rule("allow", ["mach-lookup"], messageOf(tag, apple.origin), appleEventServices.map(globalName)),
      blank,
    );
  return items;
}

/** The services `open` and `osascript` talk to: appleeventsd, coreservicesd, and the quarantine resolver (macOS 14+). */
const appleEventServices = [
  "com.apple.coreservices.appleevents",
  "com.apple.CoreServices.coreservicesd",
  "com.apple.coreservices.quarantine-resolver",
];
