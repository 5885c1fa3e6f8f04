// Preload for programs run through the SDK's own run script (engine/language-host.ts): when the
// program's process exits, the modules it loaded and the other files it read from its folder
// (engine/program-modules.js) are written as JSON to E2B_GUARDRAILS_MODULES_FILE. The warm program
// workers list them in-process. CommonJS modules are in `require.cache`; an ES module package's
// modules are reported by a loader hook, registered only for such a package (it starts a thread).
const fs = require("node:fs");
const path = require("node:path");
const { fileURLToPath, pathToFileURL } = require("node:url");
const {
  keyEnvReads,
  programModules,
  programReads,
  recordReads,
  recordUnsetEnvReads,
} = require("../program-modules.js");

const out = process.env.E2B_GUARDRAILS_MODULES_FILE;
const dir = process.cwd();

/** Whether the program is an ES module package (`"type": "module"`), whose modules load off-thread. */
function isModulePackage() {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).type === "module";
  } catch {
    return false;
  }
}

/**
 * Has the loader hook (record-esm-loads.mjs) note each module it loads in `list`; returns a function
 * that reads the files noted so far.
 */
function recordEsmLoads(list) {
  const { register } = require("node:module");
  if (typeof register !== "function" || !isModulePackage()) return () => [];
  register(pathToFileURL(path.join(__dirname, "record-esm-loads.mjs")).href, { data: { file: list } });
  return () => {
    let text;
    try {
      text = fs.readFileSync(list, "utf8");
    } catch {
      return [];
    }
    const files = [];
    for (const url of new Set(text.split("\n"))) {
      try {
        if (url) files.push(fileURLToPath(url));
      } catch {
        // Not a file URL: nothing to check.
      }
    }
    return files;
  };
}

if (out) {
  const read = recordReads();
  const unsetEnv = recordUnsetEnvReads(dir);
  const esmLoaded = recordEsmLoads(`${out}.esm`);
  process.on("exit", () => {
    try {
      const modules = programModules([...Object.keys(require.cache), ...esmLoaded()], dir);
      fs.writeFileSync(
        out,
        JSON.stringify({
          modules,
          read: programReads(read, modules, dir),
          unsetEnv: [...unsetEnv],
          keyEnv: [...keyEnvReads().values()],
          // Preloaded after this module (`-r`), so required here once the program has run.
          stackOutputs: require("./stack-outputs.js").stackOutputReads(),
        }),
      );
    } catch {
      // An empty list: the report says nothing about the program's files rather than fail the
      // preview. A missing file means this handler never ran (engine/language-host.ts).
      try {
        fs.writeFileSync(out, "{}");
      } catch {
        // Nowhere to write: the host says the program ended without its exit handlers.
      }
    }
  });
}
