/**
 * A full garbage collection on demand, for tests of code that must survive one (weakly held abort
 * signals). `--expose-gc` cannot be passed to jest's workers per file; V8 lets it be set at run time
 * and the function is then found in a new context.
 */
import v8 from "node:v8";
import vm from "node:vm";

v8.setFlagsFromString("--expose-gc");
const collect = vm.runInNewContext("gc") as () => void;

/** Collect garbage every `ms` until the returned function is called. */
export function collectGarbageEvery(ms: number): () => void {
  const timer = setInterval(collect, ms);
  return () => clearInterval(timer);
}
