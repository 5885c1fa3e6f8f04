/**
 * Jest loads every module anew for each test file, with none of Node's caching. `@pulumi/pulumi`
 * requires, as it loads, two things only its closure serializer uses (when a Lambda's code is
 * serialized): `@npmcli/arborist` (npm's install machinery, ~490 modules, runtime/closure/codePaths)
 * and the TypeScript compiler (through its typescript-shim, runtime/closure/parseFunction). Here both
 * load on first use instead: a file that loads the SDK spends ~0.3 s of CPU on it where it spent
 * ~1.2 s (measured: 1.2 → 0.8 s for arborist, then 0.63 → 0.32 s for the compiler), and a test that
 * does serialize code gets the real packages, so nothing behaves differently. The same as
 * engine/preload/js-pack.js and lazy-arborist.js do for pack and program processes.
 */
function onFirstUse(name: string, { esModule }: { esModule: boolean }) {
  let real: Record<string | symbol, unknown> | undefined;
  const load = () => (real ??= jest.requireActual<Record<string | symbol, unknown>>(name));
  return new Proxy({} as Record<string | symbol, unknown>, {
    // With `__esModule`, the SDK's `__importStar` uses this object as it is, without listing its keys.
    get: (_, key) => (esModule && key === "__esModule" ? true : load()[key]),
    has: (_, key) => (esModule && key === "__esModule") || key in load(),
  });
}

jest.mock("@npmcli/arborist", () => onFirstUse("@npmcli/arborist", { esModule: true }));
jest.mock("@pulumi/pulumi/typescript-shim", () =>
  onFirstUse("@pulumi/pulumi/typescript-shim", { esModule: false }),
);
