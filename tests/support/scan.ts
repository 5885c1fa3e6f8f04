/**
 * Test helper: one policy-pack process per test file (as one `pulumi preview` has), driven through the
 * real engine over gRPC. Use inside a describe block:
 *
 *   const scan = useScanner();                       // our pack, default config
 *   const { stack } = await scan.program("tests/policies/fixtures/x", "dev");
 *   expect(stack.findings.map((f) => f.policy)).toContain("e2b-01-no-client-side-key");
 */
import path from "node:path";
import type { UserPolicyConfig } from "../../engine/policy-config";
import type { ResourceGraph } from "../../engine";
import type { Report, StackReport } from "../../policies/report";
import { openSession, scanGraph, scanProgram, scanStates, type ScanSession } from "../../cli/scan";

export const repoRoot = path.resolve(__dirname, "../..");

export interface Scanner {
  session(): ScanSession;
  program(
    dir: string,
    stack: string,
    opts?: { passphrase?: string },
  ): Promise<{ graph: ResourceGraph; stack: StackReport; report: Report }>;
  graph(graph: ResourceGraph): Promise<{ stack: StackReport; report: Report }>;
  states(files: string[]): Promise<Report>;
}

export function useScanner(
  opts: { packDir?: string; policyConfig?: string | UserPolicyConfig } = {},
): Scanner {
  let session: ScanSession | undefined;
  beforeAll(async () => {
    session = await openSession(opts);
  }, 60_000);
  afterAll(async () => {
    await session?.close();
  });
  const s = () => {
    if (!session) throw new Error("scanner used outside a test");
    return session;
  };
  return {
    session: s,
    async program(dir, stack, o = {}) {
      const r = await scanProgram(s(), { cwd: path.resolve(repoRoot, dir), stack, passphrase: o.passphrase });
      return { graph: r.graph, stack: r.stack, report: s().report([r.stack]) };
    },
    async graph(graph) {
      const stack = await scanGraph(s(), graph);
      return { stack, report: s().report([stack]) };
    },
    async states(files) {
      return s().report(
        await scanStates(
          s(),
          files.map((f) => path.resolve(repoRoot, f)),
        ),
      );
    },
  };
}
