/**
 * The floor of `sandboxes audit`: the same pages from the same server, fetched one after the other
 * (a page's token comes from the one before) with Node's fetch and JSON.parse, and nothing else — no
 * SDK, no auditor, no report. Plain JavaScript, so it pays no TypeScript loader at start.
 *
 *   E2B_API_URL=… E2B_API_KEY=… node bench/minimal-sandboxes-client.js
 *
 * Prints {"pages": N, "items": N, "ms": N} (ms: the listing itself, after start-up).
 */
/* global fetch, performance, URLSearchParams */
"use strict";

async function main() {
  const base = process.env.E2B_API_URL;
  const key = process.env.E2B_API_KEY;
  if (!base || !key) throw new Error("set E2B_API_URL and E2B_API_KEY");
  const t0 = performance.now();
  let token;
  let pages = 0;
  let items = 0;
  do {
    const q = new URLSearchParams({ state: "running,paused", limit: "100" });
    if (token) q.set("nextToken", token);
    const res = await fetch(`${base}/v2/sandboxes?${q}`, { headers: { "X-API-Key": key } });
    if (!res.ok) throw new Error(`page ${pages + 1}: HTTP ${res.status}`);
    items += (await res.json()).length;
    pages++;
    token = res.headers.get("x-next-token") || undefined;
  } while (token);
  process.stdout.write(JSON.stringify({ pages, items, ms: Math.round(performance.now() - t0) }) + "\n");
}

main().catch((e) => {
  process.stderr.write(`minimal sandboxes client: ${e.message}\n`);
  process.exit(1);
});
