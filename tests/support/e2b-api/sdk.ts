/**
 * The real `e2b` SDK, loadable under Jest.
 *
 * e2b's CommonJS build requires `chalk` 5, which is ESM-only. Plain Node 20.19+ loads it (require of
 * ESM), but Jest's module registry cannot before Node 24.9. chalk only colours the SDK's template
 * *build* logger, which no test here uses, so this module registers a plain-text chalk in its place
 * before loading e2b. Import it before anything that imports `e2b` (runtime/ included): the mock is
 * per test file, so the runtime code under test gets this same SDK instance.
 */
import path from "node:path";
import type * as E2B from "e2b";

const chalkPath = require.resolve("chalk", { paths: [path.dirname(require.resolve("e2b"))] });
jest.doMock(chalkPath, () => {
  const plain = (s: unknown) => String(s);
  const chain: Record<string, unknown> = new Proxy(plain, {
    get: (_t, prop) => (prop === "hex" || prop === "rgb" ? () => chain : chain),
    apply: (_t, _this, args: unknown[]) => String(args[0]),
  }) as unknown as Record<string, unknown>;
  return { __esModule: true, default: chain };
});

const e2b: typeof E2B = require("e2b");
export = e2b;
