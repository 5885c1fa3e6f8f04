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
// The preloads' stand-in (engine/preload/on-first-use.js), loading through jest's registry.
const { onFirstUse } = require("../../engine/preload/on-first-use.js") as {
  onFirstUse: <T>(load: () => T, opts?: { esModule?: boolean }) => T;
};
const actual = (name: string) => () => jest.requireActual<Record<string | symbol, unknown>>(name);

// With `__esModule`, the SDK's `__importStar` uses the stand-in as it is, without listing its keys.
jest.mock("@npmcli/arborist", () => onFirstUse(actual("@npmcli/arborist"), { esModule: true }));
jest.mock("@pulumi/pulumi/typescript-shim", () => onFirstUse(actual("@pulumi/pulumi/typescript-shim")));
