/**
 * The system resolver, used when no resolver is injected. `verbatim` keeps the
 * order getaddrinfo returns (RFC 6724), which is the order the dialler tries.
 */
import { lookup } from "node:dns/promises";
import type { Resolver } from "./types.js";

export const systemResolver: Resolver = async (name) =>
  (await lookup(name, { all: true, verbatim: true })).map((a) => a.address);
