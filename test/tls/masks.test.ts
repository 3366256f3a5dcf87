import { PassThrough } from "node:stream";
import type { ClientRequest, IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { canonicalizeHost } from "../../src/compiler/domains/index.js";
import type { CredentialMask, NetRule } from "../../src/compiler/ir.js";
import { prepareMasks } from "../../src/runtime/proxy/credentials/prepare.js";
import { plainMasks } from "../../src/runtime/proxy/credentials/plain.js";
import { substituteBody, substituteStream } from "../../src/runtime/proxy/tls/body.js";

const rule = (name: string): NetRule => ({
  kind: "net",
  effect: "allow",
  host: { kind: "name", name },
  source: name,
  origin: "/network/allowedDomains/0",
});
const api = canonicalizeHost("api.example.com")!;
const other = canonicalizeHost("evil.example.net")!;
let n = 0;
const random = (): string => `${String(++n).padStart(32, "0")}`;

const masks = (entries: Partial<CredentialMask>[], allowPlaintext = false) => ({
  entries: entries.map((e, i) => ({
    source: { kind: "env", name: `V${i}` } as const,
    onExtractNoMatch: "deny" as const,
    injectHosts: [rule("api.example.com")],
    origin: `/credentials/envVars/${i}` as const,
    ...e,
  })),
  allowPlaintextInject: { value: allowPlaintext, origin: "default" as const },
});

describe("masked credentials", () => {
  it("whole values: the sentinel keeps trailing white space out of the real value; unset stays unset", () => {
    const p = prepareMasks(
      masks([{}, { source: { kind: "file", path: "/t" } }, { source: { kind: "env", name: "UNSET" } }]),
      { env: { V0: "tok-1" }, readFile: (f) => (f === "/t" ? "file-tok\n" : undefined), random },
    );
    expect(p.env["V0"]).toMatch(/^srt_masked_\d{32}$/);
    expect(p.files.get("/t")).toMatch(/^srt_masked_\d{32}\n$/);
    expect("UNSET" in p.env).toBe(false);
    const header = `Bearer ${p.env["V0"]} ${p.files.get("/t")!.trim()}`;
    expect(p.set.apply(header, api, 443)).toEqual({ ok: true, text: "Bearer tok-1 file-tok", injected: 2 });
    expect(p.set.apply(header, other, 443)).toEqual({ ok: false, origin: "/credentials/envVars/0" });
  });

  it("extract masks group 1 of every match and keeps the rest; the same secret gets one sentinel", () => {
    const p = prepareMasks(masks([{ extract: "password=(\\w+)" }]), {
      env: { V0: "a password=hunter2 b password=hunter2 c password=other" },
      readFile: () => undefined,
      random,
    });
    const shown = p.env["V0"]!;
    expect(shown).not.toContain("hunter2");
    expect(shown).not.toContain("other");
    const [s1, s2, s3] = [...shown.matchAll(/srt_masked_\d+/g)].map((m) => m[0]);
    expect(s1).toBe(s2);
    expect(s3).not.toBe(s1);
    expect(shown.replace(/srt_masked_\d+/g, "X")).toBe("a password=X b password=X c password=X");
  });

  it("when extract finds nothing: deny withholds, warn passes the value with a warning, error fails the run", () => {
    const src = { env: { V0: "no match here" }, readFile: () => undefined, random };
    const denied = prepareMasks(masks([{ extract: "k=(\\w+)" }]), src);
    expect("V0" in denied.env).toBe(false);
    const warned = prepareMasks(masks([{ extract: "k=(\\w+)", onExtractNoMatch: "warn" }]), src);
    expect(warned.env["V0"]).toBe("no match here");
    expect(warned.warnings.join("\n")).toMatch(/finds nothing in \$V0; it is passed unmasked/);
    expect(warned.warnings.join("\n")).not.toContain("no match here");
    expect(() => prepareMasks(masks([{ extract: "k=(\\w+)", onExtractNoMatch: "error" }]), src)).toThrow(
      /SRT540|finds nothing/,
    );
  });

  it("one credential cannot be laundered through another's inject host", () => {
    const p = prepareMasks(masks([{}, { injectHosts: [rule("evil.example.net")] }]), {
      env: { V0: "first", V1: "second" },
      readFile: () => undefined,
      random,
    });
    expect(p.set.apply(`${p.env["V0"]}`, other, 443)).toEqual({ ok: false, origin: "/credentials/envVars/0" });
    expect(p.set.apply(`${p.env["V1"]}`, other, 443)).toMatchObject({ ok: true, text: "second" });
  });

  it("plain HTTP refuses every sentinel unless allowPlaintextInject", () => {
    const p = prepareMasks(masks([{}]), { env: { V0: "tok" }, readFile: () => undefined, random });
    expect(plainMasks(p.set).apply(p.env["V0"]!, api, 80)).toEqual({ ok: false, origin: "/credentials/envVars/0" });
    const q = prepareMasks(masks([{}], true), { env: { V0: "tok" }, readFile: () => undefined, random });
    expect(plainMasks(q.set).apply(q.env["V0"]!, api, 80)).toMatchObject({ ok: true, text: "tok" });
  });

  it("bodies: UTF-8 real values, and sentinels split across chunks in a stream", async () => {
    const p = prepareMasks(masks([{}]), { env: { V0: "tökén" }, readFile: () => undefined, random });
    const s = p.env["V0"]!;
    const whole = substituteBody(p.set, Buffer.from(`a=${s}&b=${s}`), api, 443);
    expect(whole.ok && whole.body.toString("utf8")).toBe("a=tökén&b=tökén");
    for (const split of [1, 5, s.length - 1, s.length + 2]) {
      const from = new PassThrough();
      const to = new PassThrough();
      const chunks: Buffer[] = [];
      to.on("data", (c: Buffer) => chunks.push(c));
      const ended = new Promise((r) => to.once("end", r));
      substituteStream(p.set, from as unknown as IncomingMessage, to as unknown as ClientRequest, api, 443, () => {
        throw new Error("refused");
      });
      const text = `x=${s};y=${s}`;
      from.write(text.slice(0, split));
      from.write(text.slice(split, split + 7));
      from.end(text.slice(split + 7));
      await ended;
      expect(Buffer.concat(chunks).toString("utf8"), `split at ${split}`).toBe("x=tökén;y=tökén");
    }
    const refused: string[] = [];
    const from = new PassThrough();
    const to = new PassThrough();
    substituteStream(p.set, from as unknown as IncomingMessage, to as unknown as ClientRequest, other, 443, (o) =>
      refused.push(o),
    );
    from.write(s.slice(0, 10));
    from.end(s.slice(10));
    await new Promise((r) => setImmediate(r));
    expect(refused).toEqual(["/credentials/envVars/0"]);
  });
});

describe("decode: jwt", () => {
  const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString("base64url");
  const token = (payload: Record<string, unknown>): string =>
    `${b64({ alg: "RS256", typ: "JWT" })}.${b64(payload)}.c2lnbmF0dXJl`;
  const payloadOf = (t: string): Record<string, unknown> =>
    JSON.parse(Buffer.from(t.split(".")[1]!, "base64url").toString("utf8")) as Record<string, unknown>;
  const src = (env: Record<string, string>, file?: string) => ({
    env,
    readFile: () => file,
    random,
  });

  it("a whole token becomes a fake that parses (HS256, far-future exp) and is swapped back", () => {
    const real = token({ sub: "u1", exp: 1 });
    const p = prepareMasks(masks([{ decode: "jwt" }]), src({ V0: real }));
    const fake = p.env["V0"]!;
    expect(fake.split(".")).toHaveLength(3);
    expect(JSON.parse(Buffer.from(fake.split(".")[0]!, "base64url").toString())).toMatchObject({ alg: "HS256" });
    expect(payloadOf(fake)["exp"]).toBeGreaterThan(4e9);
    expect(fake).not.toContain(real.split(".")[1]!);
    expect(p.set.apply(`Bearer ${fake}`, api, 443)).toMatchObject({ ok: true, text: `Bearer ${real}` });
    expect(p.set.apply(`Bearer ${fake}`, other, 443)).toEqual({ ok: false, origin: "/credentials/envVars/0" });
  });

  it("maskClaims masks only the named string claims; the token and each claim are swapped back", () => {
    const real = token({ sub: "u1", api_key: "k-123", n: 5 });
    const p = prepareMasks(masks([{ decode: "jwt", maskClaims: ["api_key", "n", "absent"] }]), src({ V0: real }));
    const shown = p.env["V0"]!;
    const claims = payloadOf(shown);
    expect(claims["sub"]).toBe("u1");
    expect(claims["n"]).toBe(5);
    expect(claims["api_key"]).toMatch(/^srt_masked_\d{32}$/);
    expect(p.set.apply(shown, api, 443)).toMatchObject({ ok: true, text: real });
    expect(p.set.apply(`key=${String(claims["api_key"])}`, api, 443)).toMatchObject({ ok: true, text: "key=k-123" });
  });

  it("in a file, only candidates that are JWTs are masked; a value that is none is withheld", () => {
    const real = token({ sub: "u2" });
    const text = `a: ${real}\nb: eyJub3Q.a.jwt\n`;
    const p = prepareMasks(masks([{ decode: "jwt", source: { kind: "file", path: "/f" } }]), src({}, text));
    const shown = p.files.get("/f")!;
    expect(shown).not.toContain(real);
    expect(shown).toContain("b: eyJub3Q.a.jwt\n");
    const none = prepareMasks(masks([{ decode: "jwt" }]), src({ V0: "not-a-jwt" }));
    expect("V0" in none.env).toBe(false);
  });

  it("maskDuplicates masks verbatim copies outside the extracted spans", () => {
    const text = "token: abc123secret\n# old: abc123secret\n";
    const f = { kind: "file", path: "/f" } as const;
    const plain = prepareMasks(masks([{ source: f, extract: "token: (\\S+)" }]), src({}, text));
    expect(plain.files.get("/f")).toContain("# old: abc123secret");
    const dup = prepareMasks(masks([{ source: f, extract: "token: (\\S+)", maskDuplicates: true }]), src({}, text));
    expect(dup.files.get("/f")).not.toContain("abc123secret");
  });
});
