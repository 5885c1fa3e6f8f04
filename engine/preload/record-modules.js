// Preload for programs run through the SDK's own run script (engine/language-host.ts): when the
// program's process exits, the modules it loaded and the other files it read from its folder
// (engine/program-modules.js) are written as JSON to E2B_GUARDRAILS_MODULES_FILE. The warm program
// workers list them in-process.
const fs = require("node:fs");
const { programModules, programReads, recordReads } = require("../program-modules.js");

const out = process.env.E2B_GUARDRAILS_MODULES_FILE;
const dir = process.cwd();
if (out) {
  const read = recordReads();
  process.on("exit", () => {
    try {
      const modules = programModules(Object.keys(require.cache), dir);
      fs.writeFileSync(out, JSON.stringify({ modules, read: programReads(read, modules, dir) }));
    } catch {
      // No list: the report says nothing about the program's files rather than fail the preview.
    }
  });
}
