/**
 * Jest loads every module anew for each test file, with none of Node's caching. `@pulumi/pulumi`
 * requires `@npmcli/arborist` (npm's install machinery, ~490 modules) as it loads, for one function
 * (runtime/closure/codePaths.ts) that walks a program's dependencies when a Lambda's code is
 * serialized. Here the package is loaded on first use instead: a file that loads the SDK saves
 * ~0.4 s of CPU (1.2 s → 0.8 s measured), and a test that does serialize code gets the real
 * package, so nothing behaves differently.
 */
jest.mock("@npmcli/arborist", () => {
  let real: Record<string | symbol, unknown> | undefined;
  const load = () => (real ??= jest.requireActual<Record<string | symbol, unknown>>("@npmcli/arborist"));
  // `__esModule` makes the SDK's `__importStar` use this object as it is, without listing its keys.
  return new Proxy({} as Record<string | symbol, unknown>, {
    get: (_, key) => (key === "__esModule" ? true : load()[key]),
    has: (_, key) => key === "__esModule" || key in load(),
  });
});
