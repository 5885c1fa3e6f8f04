// Preload for programs run through the SDK's own run script (engine/language-host.ts): when the
// program's process exits, the modules it loaded from its folder (engine/program-modules.js) are
// written as JSON to E2B_GUARDRAILS_MODULES_FILE. The warm program workers list them in-process.
const fs = require("node:fs");
const { programModules } = require("../program-modules.js");

const out = process.env.E2B_GUARDRAILS_MODULES_FILE;
const dir = process.cwd();
if (out)
  process.on("exit", () => {
    try {
      fs.writeFileSync(out, JSON.stringify(programModules(Object.keys(require.cache), dir)));
    } catch {
      // No list: the report says nothing about the program's code rather than fail the preview.
    }
  });
