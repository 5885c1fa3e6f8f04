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
  /**
   * `error`: forward, then answer 502; `hang`: forward, then never answer (the client times out);
   * `late`: never answer, and forward it only just before the next request to the same route — a
   * request the server carries out after the client gave up on it and found no orphan.
   */
  mode: "error" | "hang" | "late";
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
  /** Requests held back (`late`), by route, each forwarded when the route is next used. */
  const held = new Map<string, () => Promise<void>>();

  /** Sends the request upstream; resolves with the upstream status, headers and body. */
  const forward = (url: URL, req: http.IncomingMessage, body: Buffer) =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }>((resolve) => {
      const upstream = http.request(url, { method: req.method, headers: req.headers }, (up) => {
        const chunks: Buffer[] = [];
        up.on("data", (c: Buffer) => chunks.push(c));
        up.on("end", () =>
          resolve({ status: up.statusCode ?? 500, headers: up.headers, body: Buffer.concat(chunks) }),
        );
      });
      upstream.end(body);
    });

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const url = new URL(req.url ?? "/", target);
      const route = `${req.method} ${url.pathname}`;
      const rule = rules.find((r) => r.remaining > 0 && r.method === req.method && r.path === url.pathname);
      if (rule) rule.remaining--;
      if (rule?.mode === "late") {
        hung.add(res);
        held.set(route, async () => void (await forward(url, req, Buffer.concat(chunks))));
        return;
      }
      const late = held.get(route);
      held.delete(route);
      if (late) await late();
      const up = await forward(url, req, Buffer.concat(chunks));
      if (rule?.mode === "hang") {
        hung.add(res);
        return;
      }
      if (rule?.mode === "error") {
        res.writeHead(502, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ code: 502, message: "bad gateway (proxy lost the upstream response)" }));
        return;
      }
      res.writeHead(up.status, up.headers);
      res.end(up.body);
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
