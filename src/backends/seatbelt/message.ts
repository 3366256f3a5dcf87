/**
 * The `(with message …)` text every rule carries: the session tag, a space,
 * then the IR origin. The runtime filters `log stream` for the tag and maps a
 * denial back to the settings entry (or mandatory rule) that caused it.
 */
import type { Origin } from "../../compiler/ir.js";

export const messageOf = (tag: string, origin: Origin): string => `${tag} ${origin}`;

/** The origin named by a logged message (text from the log: not trusted to be an Origin), or undefined when it is not one of this session's. */
export function originOfMessage(tag: string, message: string): string | undefined {
  return message.startsWith(`${tag} `) ? message.slice(tag.length + 1) : undefined;
}
