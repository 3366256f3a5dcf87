/**
 * Whole lines from a byte stream (trimmed; empty ones skipped), for the
 * line-oriented channels srt reads: bwrap's JSON status records and the
 * `--control-fd` settings stream. A line that grows past `maxLine` without
 * ending is dropped (reported through `onOverlong`) rather than buffered forever.
 */
import type { Readable } from "node:stream";

export function onLines(
  stream: Readable,
  onLine: (line: string, lineNo: number) => void,
  maxLine = 1 << 20,
  onOverlong?: (lineNo: number) => void,
): void {
  let buffer = "";
  let lineNo = 0;
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      lineNo++;
      if (line !== "") onLine(line, lineNo);
    }
    if (buffer.length > maxLine) {
      onOverlong?.(lineNo + 1);
      buffer = "";
    }
  });
}
