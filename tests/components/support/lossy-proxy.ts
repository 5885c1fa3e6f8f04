/**
 * A loopback proxy in front of the local E2B API server that can lose a response *after* the server
 * acted on the request — the case the server's own faults (which answer instead of handling) cannot
 * produce, and the one that orphans keys: the key exists, the client never learns its id.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface LossRule {
  method: string;
  path: string;
  /** `error`: forward, then answer 502; `hang`: forward, then never answer (the client times out). */
  mode: "error" | "hang";
  remaining: number;
}

export interface LossyProxy {
  url: string;
  lose(n: number, method: string, path: string, mode: LossRule["mode"]): void;
  close(): Promise<void>;
}

export async function startLossyProxy(target: string): Promise<LossyProxy> {
  const rules: LossRule[] = [];
  const hung = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", target);
      const rule = rules.find((r) => r.remaining > 0 && r.method === req.method && r.path === url.pathname);
      if (rule) rule.remaining--;
      const upstream = http.request(url, { method: req.method, headers: req.headers }, (up) => {
        const body: Buffer[] = [];
        up.on("data", (c: Buffer) => body.push(c));
        up.on("end", () => {
          if (rule?.mode === "hang") {
            hung.add(res);
            return;
          }
          if (rule?.mode === "error") {
            res.writeHead(502, { "Content-Type": "application/json" });
            res.end(JSON.stringify({ code: 502, message: "bad gateway (proxy lost the upstream response)" }));
            return;
          }
          res.writeHead(up.statusCode ?? 500, up.headers);
          res.end(Buffer.concat(body));
        });
      });
      upstream.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    lose(n, method, path, mode) {
      rules.push({ method, path, mode, remaining: n });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hung) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
