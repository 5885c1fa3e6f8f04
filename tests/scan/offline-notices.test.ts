/**
 * What an offline preview did differently from `pulumi preview`, said once per stack
 * (scan/offline-notices.ts).
 */
import type { ResourceGraph } from "../../engine";
import { offlineNotices } from "../../scan/offline-notices";

const stack = { urn: "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev", type: "pulumi:pulumi:Stack" };
const graph = (offline: ResourceGraph["offline"]) =>
  ({ resources: [stack], offline }) as unknown as ResourceGraph;

describe("offlineNotices", () => {
  it("says nothing for a program the offline preview ran as the CLI would", () => {
    expect(offlineNotices(graph(undefined))).toEqual([]);
  });

  it("names the types of resources read with get(), whose outputs no provider read (real37 obs. 3)", () => {
    const [notice] = offlineNotices(
      graph({ unexpandedComponents: [], invokes: [], reads: ["gcp:secretmanager/secret:Secret"] }),
    );
    expect(notice).toMatchObject({ policy: "offline-preview", caseId: null, enforcementLevel: "advisory" });
    expect(notice.urn).toBe(stack.urn);
    expect(notice.message).toMatch(
      /reads existing resources of 1 type\(s\) \(`\.get\(\)`\): gcp:secretmanager\/secret:Secret\./,
    );
    expect(notice.message).toMatch(/run `pulumi preview --policy-pack` to judge them/);
  });

  it("says a secret-reading provider function gave its value hidden under the secret's name", () => {
    const [secretRead] = offlineNotices(
      graph({ unexpandedComponents: [], invokes: ["aws:ssm/getParameter:getParameter"] }),
    );
    expect(secretRead.message).toMatch(/gave it as a hidden value named by the secret/);
    const [other] = offlineNotices(
      graph({ unexpandedComponents: [], invokes: ["aws:index/getRegion:getRegion"] }),
    );
    expect(other.message).not.toMatch(/hidden value/);
  });
});
