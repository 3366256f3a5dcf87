/**
 * The NetworkOs of a run that may reach no host (network.ts, ownNetwork with
 * refuseOnly): the refusing endpoint (../proxy/refuser.ts) in place of the
 * proxies, with the same violation store and summary lines. It has no relay
 * to a user's proxy and no probe: such a run has neither (ownNetwork takes
 * network-os.ts when the policy names a proxy port). Loading this instead of
 * network-os.ts keeps node:http, node:tls, the resolver and the proxy code out
 * of every run without network access.
 */
import { createRefusingHttpProxy, createRefusingSocksProxy } from "../proxy/refuser.js";
import { allowHintLine, reportLine } from "../proxy/report.js";
import { createViolationStore } from "../proxy/violations.js";
import type { NetworkOs } from "./network.js";

const absent = (what: string) => (): Promise<never> =>
  Promise.reject(new Error(`a run without network access has no ${what}`));

export const refuserNetworkOs: NetworkOs = {
  proxy: {
    createHttpProxy: createRefusingHttpProxy,
    createSocksProxy: createRefusingSocksProxy,
    createViolationStore,
    reportLine,
    allowHintLine,
  },
  relay: absent("relay to a user's proxy"),
  probe: absent("proxies to probe"),
  refusesAll: true,
};
