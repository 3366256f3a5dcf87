/**
 * V8's optimizing compiler (TurboFan) during srt's start-up (issue 19). A start-up runs each
 * function a few times, and what gets hot is Node's own module loader (path normalisation, one
 * per import): optimizing it gains nothing in a process that is done starting within milliseconds,
 * yet the compiler's code and zones add some 4 MiB to peak memory, and every sandboxed command
 * pays that once more than it has to. So the CLI starts with it held (bin.ts), and whatever
 * stays busy for long releases it: the proxies of a run that reaches the network (their copy
 * loops and parsers deserve optimizing), `srt proxy`. Only when code is compiled changes: what
 * it does stays the same (V8 reads the flag at each tiering decision).
 */
import { setFlagsFromString } from "node:v8";

export function holdOptimizingCompiler(): void {
  setFlagsFromString("--no-opt");
}

export function releaseOptimizingCompiler(): void {
  setFlagsFromString("--opt");
}
