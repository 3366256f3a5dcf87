/**
 * The ask callback: the embedder's say about a destination no rule decided.
 * It is untrusted in the sense that it may be slow, throw, or answer
 * something odd — every one of those denies (fail closed), and only the value
 * `true` allows, so a truthy object such as `{allow: false}` can never be
 * mistaken for a yes. Its reason ends up in violation reports (and may be read
 * by a model), so it is made one printable line of bounded length.
 */
import type { AskCallback, AskQuery } from "./types.js";

export type AskOutcome = { readonly allow: true } | { readonly allow: false; readonly reason: string };

const MAX_REASON = 500;

export async function askAbout(
  ask: AskCallback | undefined,
  query: AskQuery,
  shown: string,
  timeoutMs: number,
): Promise<AskOutcome> {
  if (ask === undefined) return { allow: false, reason: `${shown} is not in allowedDomains` };
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  let answer: unknown;
  try {
    // A callback that throws synchronously is handled like one that rejects.
    answer = await Promise.race([Promise.resolve().then(() => ask({ host: query.host, port: query.port })), timeout]);
  } catch (e) {
    return {
      allow: false,
      reason: `${shown} is not in allowedDomains and the ask callback failed: ${oneLine(e instanceof Error ? e.message : String(e))}`,
    };
  } finally {
    clearTimeout(timer);
  }
  if (answer === "timeout")
    return {
      allow: false,
      reason: `${shown} is not in allowedDomains and the ask callback gave no answer within ${timeoutMs} ms`,
    };
  if (answer === true) return { allow: true };
  if (
    typeof answer === "object" &&
    answer !== null &&
    (answer as { allow?: unknown }).allow === false &&
    typeof (answer as { reason?: unknown }).reason === "string"
  ) {
    const reason = oneLine((answer as { reason: string }).reason);
    if (reason !== "") return { allow: false, reason };
  }
  return { allow: false, reason: `${shown} was denied by the ask callback` };
}

/** Control and invisible characters become one space; angle brackets go (they could close an embedder's markup). */
function oneLine(text: string): string {
  const cleaned = text
    .replace(
      /[\x00-\x1f\x7f-\x9f\u00ad\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]+/gu,
      " ",
    )
    .replace(/[<>]/g, "")
    .trim();
  const cut = cleaned.slice(0, MAX_REASON);
  return (/[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut).trimEnd();
}
