// Module loader hook for the record-modules preload: appends the URL of every file Node loads as a
// module to the file the preload names, one per line. An ES module program's modules are loaded by
// the module loader's hooks thread (ts-node's ESM hooks, or Node's own loader), where neither
// `require.cache` nor the preload's read wrappers see them. (A MessagePort handed to a hook
// registered from a `-r` preload made Node 20 exit with status 1 before the program ran.)
import { appendFileSync } from "node:fs";

let file;

export async function initialize(data) {
  file = data?.file;
}

export async function load(url, context, nextLoad) {
  if (file && url.startsWith("file:")) {
    try {
      appendFileSync(file, url + "\n");
    } catch {
      // No record: the program loads as it would without us.
    }
  }
  return nextLoad(url, context);
}
