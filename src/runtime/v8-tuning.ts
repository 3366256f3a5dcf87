/**
 * V8 during srt's start-up (issue 19). A start-up runs each function a few times, and what gets
 * hot is Node's own module loader (path normalisation, one per import): optimizing it gains
 * nothing in a process that is done starting within milliseconds, yet TurboFan's code and zones
 * added some 4 MiB to peak memory; Sparkplug, the baseline tier below it, still took a page of code
 * space and 0.4 MiB of the peak of `srt -- true`, for no CPU time saved. Likewise the young
 * generation: its growth to twice its size on the first busy scavenges cost up to 2 MiB, for
 * objects that mostly die before the next one.
 * Every sandboxed command pays such a peak once more than it has to.
 *
 * So the CLI starts its runs lean (main.ts), and whatever stays busy for long returns to V8's
 * defaults: the proxies of a run that reaches the network (their copy loops and parsers deserve
 * optimizing; network.ts). Only when code is compiled and how the heap grows change, never what
 * runs: V8 reads these flags at each decision.
 */
import { setFlagsFromString } from "node:v8";

export function leanStartUp(): void {
  setFlagsFromString("--no-opt");
  setFlagsFromString("--no-sparkplug");
  setFlagsFromString("--semi-space-growth-factor=1");
}

export function steadyState(): void {
  setFlagsFromString("--opt");
  setFlagsFromString("--sparkplug");
  setFlagsFromString("--semi-space-growth-factor=2");
}
