/**
 * YAML for the plain data Kubernetes objects are (maps, lists, strings,
 * numbers, booleans), in the block style people review. A string that could
 * read as anything but itself (a number, `true`, `null`, a key, a comment) is
 * written as a JSON string, which is valid YAML; text ending in one newline is
 * a literal block (`|`). The k8s tests parse every golden back with a full YAML
 * parser and compare it with the objects, so a quoting slip fails there.
 *
 * Our own, not a library: the library would load with every `srt compile`
 * and the library bundle for a job this small.
 */
type Data = string | number | boolean | null | readonly Data[] | { readonly [k: string]: Data | undefined };

const plain = /^[A-Za-z_/.][A-Za-z0-9_./@%+=-]*(?:[ ][A-Za-z0-9_./@%+=()'-]+)*$/;
const special = /^(?:true|false|yes|no|on|off|y|n|null|~|[-+]?(?:\.inf|\.nan|[0-9].*))$/i;

function scalar(v: string | number | boolean | null): string {
  if (v === null) return "null";
  if (typeof v !== "string") return String(v);
  return plain.test(v) && !special.test(v) ? v : JSON.stringify(v);
}

const isBlockText = (s: string): boolean =>
  s.endsWith("\n") &&
  !s.endsWith("\n\n") &&
  !/^[ \t]/.test(s) &&
  !/[ \t]\n/.test(s) &&
  !/[\u0000-\u0008\u000b-\u001f\u007f]/.test(s);

/** `flow`: keys whose list items are written one per line in flow style (rows to review, e.g. seccomp entries). */
export function toYaml(value: Data, flow: ReadonlySet<string> = new Set()): string {
  const out: string[] = [];
  const inline = (v: Data): string =>
    Array.isArray(v)
      ? `[${v.map(inline).join(", ")}]`
      : v !== null && typeof v === "object"
        ? `{ ${Object.entries(v as Record<string, Data | undefined>)
            .filter(([, x]) => x !== undefined)
            .map(([k, x]) => `${scalar(k)}: ${inline(x!)}`)
            .join(", ")} }`
        : scalar(v as string | number | boolean | null);
  const emit = (v: Data, indent: string, key: string | undefined): void => {
    if (Array.isArray(v)) {
      for (const item of v as readonly Data[]) {
        if (key !== undefined && flow.has(key)) out.push(`${indent}- ${inline(item)}`);
        else if (
          item !== null &&
          typeof item === "object" &&
          (Array.isArray(item) ? item.length > 0 : Object.keys(item).length > 0)
        ) {
          const start = out.length;
          emit(item, `${indent}  `, undefined);
          out[start] = `${indent}- ${out[start]!.slice(indent.length + 2)}`;
        } else out.push(`${indent}- ${inline(item)}`);
      }
      return;
    }
    for (const [k, x] of Object.entries(v as Record<string, Data | undefined>)) {
      if (x === undefined) continue;
      const head = `${indent}${scalar(k)}:`;
      if (typeof x === "string" && isBlockText(x)) {
        out.push(`${head} |`);
        for (const line of x.slice(0, -1).split("\n")) out.push(line === "" ? "" : `${indent}  ${line}`);
      } else if (x !== null && typeof x === "object" && (Array.isArray(x) ? x.length > 0 : Object.keys(x).length > 0)) {
        out.push(head);
        emit(x, Array.isArray(x) ? `${indent}  ` : `${indent}  `, k);
      } else out.push(`${head} ${inline(x)}`);
    }
  };
  emit(value, "", undefined);
  return out.join("\n") + "\n";
}
