// The proxy environment: values, and real tools driven by nothing but these
// variables reaching a loopback server through the proxies.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createHttpProxy,
  createSocksProxy,
  explainProxyEnvironment,
  proxyEnvironment,
  type NetworkProxy,
} from "../../src/runtime/proxy/index.js";
import { allow, echoServer, httpServer, loopback, run, setup, type Server } from "./harness.js";

let web: Server;
let echo: Server;
const proxies: NetworkProxy[] = [];
let ports: { httpPort: number; socksPort: number };
beforeAll(async () => {
  web = await httpServer();
  echo = await echoServer();
  const tcp = async (p: NetworkProxy): Promise<number> => {
    proxies.push(p);
    return ((await p.listen({ port: 0 })) as { port: number }).port;
  };
  const deps = setup([allow("allowed.test"), loopback]).deps;
  ports = { httpPort: await tcp(createHttpProxy(deps)), socksPort: await tcp(createSocksProxy(deps)) };
});
afterAll(async () => {
  await Promise.all([...proxies.map((p) => p.close()), web.close(), echo.close()]);
});

const envFor = (p: { httpPort: number; socksPort: number }): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: "/nonexistent",
  ...proxyEnvironment(p),
});

describe("values", () => {
  it("sets upper- and lower-case forms; NO_PROXY is loopback only", () => {
    const env = proxyEnvironment({ httpPort: 3128, socksPort: 1080 });
    expect(env.HTTP_PROXY).toBe("http://127.0.0.1:3128");
    expect(env.https_proxy).toBe(env.HTTP_PROXY);
    expect(env.ALL_PROXY).toBe("socks5h://127.0.0.1:1080");
    expect(env.no_proxy).toBe("localhost,127.0.0.1,::1");
    expect(env.NO_PROXY).toBe(env.no_proxy);
    expect(env.JAVA_TOOL_OPTIONS).toContain("-Dhttps.proxyPort=3128");
    expect(env.JAVA_TOOL_OPTIONS).toContain("-DsocksProxyPort=1080");
    expect(env.npm_config_https_proxy).toBe(env.HTTP_PROXY);
    expect(env.PIP_PROXY).toBe(env.HTTP_PROXY);
  });

  it("explain lists every variable with a reason", () => {
    const listed = explainProxyEnvironment({ httpPort: 3128, socksPort: 1080 });
    expect(listed.map((v) => v.name).sort()).toEqual(
      Object.keys(proxyEnvironment({ httpPort: 3128, socksPort: 1080 })).sort(),
    );
    for (const v of listed) expect(v.why.length).toBeGreaterThan(10);
  });
});

describe("tools driven only by the environment", () => {
  it("curl: http_proxy for plain HTTP, CONNECT with -p, ALL_PROXY over SOCKS5", async () => {
    const env = envFor(ports);
    expect((await run("curl", ["-sS", "-d", "env", `http://allowed.test:${web.port}/`], { env })).stdout).toBe(
      "got:env",
    );
    expect((await run("curl", ["-sS", "-p", `http://allowed.test:${web.port}/`], { env })).stdout).toBe("got:");
    const socksOnly = { PATH: env.PATH, ALL_PROXY: env.ALL_PROXY };
    expect((await run("curl", ["-sS", `http://allowed.test:${web.port}/`], { env: socksOnly })).stdout).toBe("got:");
  });

  it("wget from http_proxy", async () => {
    const r = await run("wget", ["-q", "-O", "-", `http://allowed.test:${web.port}/w`], { env: envFor(ports) });
    expect(r.stdout).toBe("got:");
  });

  it("GIT_SSH_COMMAND's ProxyCommand (nc -X 5 through the SOCKS proxy) tunnels bytes", async () => {
    const env = envFor(ports);
    const m = /ProxyCommand='([^']+)'/.exec(env.GIT_SSH_COMMAND ?? "");
    expect(m).not.toBeNull();
    // What ssh would run: %h and %p substituted, through a shell.
    const command = m![1]!.replace("%h", "allowed.test").replace("%p", String(echo.port));
    const r = await run("sh", ["-c", command.replace(/^nc /, "nc -N ")], { env, input: "SSH-2.0-probe\r\n" });
    expect(r.stdout).toBe("SSH-2.0-probe\r\n");
  });
});
