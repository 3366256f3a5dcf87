/**
 * File-system rules → pod volumes and volume mounts, from the same mount plan
 * the bwrap backend lowers (../bwrap/mounts.ts: deepest rule wins, deny wins a
 * tie, mounts shallow-first), so a path is writable, read-only or hidden in
 * the pod exactly where it is under bwrap, or more strictly (said by SRT641).
 *
 *   writable root R        → an emptyDir per root, or one PVC with a subPath per root
 *   read-only again inside → the same volume's subPath, readOnly (directories), or an
 *                            empty read-only file from a ConfigMap (files: kubelet
 *                            creates a missing subPath as a directory)
 *   pinned directory       → the same volume's subPath, writable: a mount point, so
 *                            `mv` cannot carry the protection below it away (EBUSY)
 *   unreadable directory   → an empty emptyDir mounted readOnly
 *   unreadable file        → the ConfigMap's empty key, mode 000, readOnly
 *   everything else        → the image's root file system, readOnlyRootFilesystem
 *
 * A pod starts from an image, not from the laptop's disk: what a writable
 * emptyDir held on the laptop is not there. The mounts still land where the
 * rules say, so a protected name the command could create is held by the
 * mount, as bwrap's placeholders hold it.
 */
import type { Volume, VolumeMount } from "kubernetes-types/core/v1.js";
import { hasByteEscapes, hasStraySurrogate, showBytes } from "../../compiler/byte-paths.js";
import { compareStrings } from "../../compiler/compare.js";
import { pointerOfOrigin } from "../../compiler/pointer.js";
import { diagnostic, type Diagnostic } from "../../compiler/diagnostics.js";
import type { NodeState, Policy } from "../../compiler/ir.js";
import { isWithin, pathDepth } from "../../compiler/paths.js";
import { planMounts, shownOrigins, type MountOp } from "../bwrap/mounts.js";
import type { K8sOptions } from "./options.js";

export interface PodFiles {
  readonly volumes: readonly Volume[];
  readonly mounts: readonly VolumeMount[];
  /** The ConfigMap that holds the files used to hide or hold paths (key → content); undefined when none is needed. */
  readonly fileMap?: { readonly name: string; readonly data: Readonly<Record<string, string>> };
  readonly diagnostics: readonly Diagnostic[];
}

/** The key of the empty file in the ConfigMap; a file that must hold text (git's commondir: ".") gets a key of its own. */
const emptyKey = "empty";

/** A path that is not UTF-8 (a byte of a name, or a stray half from JSON text): no Kubernetes string can hold it. */
const notUtf8 = (p: string): boolean => hasByteEscapes(p) || hasStraySurrogate(p);
/** The first settings pointer among a mount's origins, for its diagnostic. */
const pointerOf = (origins: readonly string[]): string => origins.map(pointerOfOrigin).find((p) => p !== "") ?? "";
const relative = (root: string, p: string): string => (root === "/" ? p.slice(1) : p.slice(root.length + 1));

export function podFiles(policy: Policy, o: K8sOptions): PodFiles {
  const plan = planMounts(policy);
  const diagnostics: Diagnostic[] = [];
  const nodes = new Map<string, NodeState>();
  for (const r of policy.filesystem.rules) if (r.kind === "path") nodes.set(r.path, r.node);
  const missingKind = new Map(plan.placeholders.map((p) => [p.path, p.kind]));
  const heldText = new Map(plan.placeholders.map((p) => [p.path, p.content ?? ""]));
  const isDir = (p: string): boolean => nodes.get(p) === "dir" || missingKind.get(p) === "dir";

  const volumes: Volume[] = [];
  const mounts: VolumeMount[] = [];
  const fileMapName = `${o.name}-files`;
  const contents = new Map<string, string>(); // key → content
  const keyFor = (content: string): string => {
    if (content === "") return emptyKey;
    const key = `text-${[...contents.keys()].filter((k) => k !== emptyKey).length}`;
    for (const [k, c] of contents) if (c === content) return k;
    return key;
  };
  let usesMaskDir = false;

  // Writable roots: one volume each (emptyDir) or one subPath each of the claim.
  const roots = plan.ops.filter(
    (m): m is Extract<MountOp, { op: "bind" }> => m.op === "bind" && m.why === "write-allow",
  );
  const volumeOf = new Map<string, { readonly volume: string; readonly sub: string }>();
  roots.forEach((r, i) => {
    if (notUtf8(r.path)) return; // said in the loop below
    if (r.path === "/") {
      diagnostics.push(
        diagnostic("SRT641", pointerOf(r.origin), {
          path: "/",
          why: "a writable root file system is not given to a pod (readOnlyRootFilesystem stays true); allow narrower directories",
        }),
      );
      return;
    }
    if (o.volumes.kind === "emptyDir") {
      const volume = `write-${i}`;
      volumes.push({ name: volume, emptyDir: {} });
      volumeOf.set(r.path, { volume, sub: "" });
      mounts.push({ name: volume, mountPath: r.path });
    } else {
      const sub = r.path.slice(1);
      volumeOf.set(r.path, { volume: "work", sub });
      mounts.push({ name: "work", mountPath: r.path, subPath: sub });
    }
  });
  if (o.volumes.kind === "pvc" && volumeOf.size > 0)
    volumes.push({ name: "work", persistentVolumeClaim: { claimName: o.volumes.claimName } });

  /** The writable root a path lies in: the deepest write-allow bind above it. */
  const rootOf = (p: string): string | undefined =>
    [...volumeOf.keys()].filter((r) => isWithin(p, r)).sort((a, b) => b.length - a.length)[0];

  /** A file from the ConfigMap: unreadable (mode 000) to hide a file, readable to hold a protected name. */
  const used = new Set<"hidden-file" | "held-file">();
  const emptyFile = (path: string, volume: "hidden-file" | "held-file", content = ""): VolumeMount => {
    used.add(volume);
    const key = keyFor(content);
    contents.set(key, content);
    return { name: volume, mountPath: path, subPath: key, readOnly: true };
  };

  for (const m of plan.ops) {
    if (m.op === "remount-ro") continue; // readOnly on the mount says it
    if (notUtf8(m.path)) {
      // Not UTF-8 (byte-paths.ts): a volume mount cannot name it. Leaving out a writable path only
      // narrows the pod; leaving out a protection would open it, so that refuses.
      diagnostics.push(
        m.op === "bind" && m.writable
          ? diagnostic("SRT641", pointerOf(m.origin), {
              path: showBytes(m.path),
              why: "is not valid UTF-8 and cannot be named in a pod; it stays read-only there",
            })
          : diagnostic("SRT644", pointerOf(m.origin), { path: showBytes(m.path), origin: shownOrigins(m.origin) }),
      );
      continue;
    }
    if (m.op === "mask-dir") {
      usesMaskDir = true;
      mounts.push({ name: "hidden", mountPath: m.path, readOnly: true });
      continue;
    }
    if (m.op === "mask-file") {
      mounts.push(emptyFile(m.path, "hidden-file"));
      continue;
    }
    if (m.why === "write-allow") continue; // above
    if (m.why === "read-allow") {
      diagnostics.push(
        diagnostic("SRT641", pointerOf(m.origin), {
          path: m.path,
          why: `re-opened for reading inside an unreadable directory (${shownOrigins(m.origin)}); a pod cannot show the image's files below an emptyDir mask, so it stays unreadable`,
        }),
      );
      continue;
    }
    // write-deny or pin-ancestor: a mount of the enclosing writable volume's own subdirectory.
    const root = rootOf(m.path);
    if (root === undefined) continue; // only inside a writable root does a read-only path need a mount
    const { volume, sub } = volumeOf.get(root)!;
    const subPath = [sub, relative(root, m.path)].filter((s) => s !== "").join("/");
    if (m.why === "pin-ancestor" || isDir(m.path)) {
      mounts.push({ name: volume, mountPath: m.path, subPath, ...(m.writable ? {} : { readOnly: true }) });
    } else if (o.volumes.kind === "pvc" && nodes.get(m.path) === "file") {
      // The claim holds the file's content from earlier runs: keep it, read-only.
      mounts.push({ name: volume, mountPath: m.path, subPath, readOnly: true });
    } else {
      mounts.push(emptyFile(m.path, "held-file", heldText.get(m.path) ?? ""));
    }
  }

  for (const n of plan.notes)
    diagnostics.push(
      diagnostic("SRT640", pointerOf(n.origin), { rule: `${n.path} (${shownOrigins(n.origin)})`, why: n.note }),
    );
  for (const g of policy.filesystem.rules)
    if (g.kind === "glob" && g.effect === "deny")
      diagnostics.push(
        diagnostic("SRT643", pointerOfOrigin(g.origin), {
          what: `deny ${g.access} ${g.pattern}`,
          why: `covers the ${g.matches} path(s) that matched when the policy was compiled, not files created in the pod later`,
        }),
      );

  // The private temp directory: always writable, always empty at start.
  volumes.push({ name: "tmp", emptyDir: {} });
  mounts.push({ name: "tmp", mountPath: "/tmp" });
  if (usesMaskDir) volumes.push({ name: "hidden", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } });
  for (const [volume, mode] of [
    ["held-file", 0o444],
    ["hidden-file", 0],
  ] as const)
    if (used.has(volume))
      volumes.push({
        name: volume,
        configMap: { name: fileMapName, items: [...contents.keys()].sort().map((key) => ({ key, path: key, mode })) },
      });

  // Parents before children (a mount must lie on top of the one that holds its mount point), then by path.
  mounts.sort((a, b) => pathDepth(a.mountPath) - pathDepth(b.mountPath) || compareStrings(a.mountPath, b.mountPath));
  return {
    volumes,
    mounts,
    ...(used.size > 0 ? { fileMap: { name: fileMapName, data: Object.fromEntries([...contents].sort()) } } : {}),
    diagnostics,
  };
}
