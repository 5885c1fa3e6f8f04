/** The pack's README is generated from the policy objects; this fails when it is stale. */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { policies } from "../../policies/policies";
import { repoRoot } from "../support/scan";

const file = path.join(repoRoot, "policies/README.md");

describe("policies/README.md", () => {
  it("is up to date (run `npm run docs -w policies`)", () => {
    // The generator reads the compiled pack, which jest's global setup has just built; it runs in its
    // own process because Prettier loads its plugins with dynamic imports.
    const generated = execFileSync(
      process.execPath,
      [path.join(repoRoot, "policies/tools/gen-readme.js"), "--stdout"],
      {
        cwd: repoRoot,
        encoding: "utf8",
      },
    );
    expect(fs.readFileSync(file, "utf8")).toBe(generated);
  });

  it("lists every policy with its case, level, config and an example violation", () => {
    const text = fs.readFileSync(file, "utf8");
    for (const p of policies) {
      const section = text.slice(text.indexOf(`### ${p.name}`));
      expect(section).toContain(`**Case** E2B-${p.name.slice(4, 6)}`);
      expect(section).toContain(`**default level** ${p.enforcementLevel}`);
      expect(section).toContain("`waivers`");
      expect(section).toContain(p.meta.example.slice(0, 40));
    }
  });
});
