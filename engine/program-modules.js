// The modules a program loaded from its own folder: what the report checks for keys written in the
// program's code (policies/program-source.ts). Not installed packages, not this tool's own engine
// files (its preloads run in the program's process). Plain JavaScript: the record-modules preload
// uses it inside the program's process, the warm program workers in theirs.
const path = require("node:path");

const OWN = path.resolve(__dirname) + path.sep;

/** @param {Iterable<string>} loaded absolute module paths @param {string} dir the program's folder */
function programModules(loaded, dir) {
  const prefix = dir.endsWith(path.sep) ? dir : dir + path.sep;
  const packages = `${path.sep}node_modules${path.sep}`;
  return [...loaded]
    .filter((f) => f.startsWith(prefix) && !f.includes(packages) && !f.startsWith(OWN))
    .sort();
}

module.exports = { programModules };
