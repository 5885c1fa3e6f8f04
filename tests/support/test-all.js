// `npm test`: lint, type-check and every jest suite, at the same time. Jest's output streams as it
// runs; lint's and the type-check's are printed when each ends. Lint and type-check run at a lower
// CPU priority: jest's test files spend much of their time waiting on child processes, and the
// checks fill those gaps instead of delaying the longest test file. Exit status: the first failure's.
const { Buffer } = require("node:buffer");
const { spawn } = require("node:child_process");
const os = require("node:os");
const path = require("node:path");

const root = path.resolve(__dirname, "../..");
const bin = (pkg, file) => path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file);

// Run through npm so package.json stays the one place that says what lint and typecheck are.
const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ["npm"];
// The type-check runs single-threaded: it has time while jest runs, and TypeScript 7's worker threads
// cost ~3 s more CPU in all (10.2 → 7.3 s here), CPU the jest files need.
const checks = [
  { name: "lint", cmd: [...npm, "run", "--silent", "lint"] },
  { name: "typecheck", cmd: [...npm, "run", "--silent", "typecheck", "--", "--singleThreaded"] },
];

function run([cmd, ...args], { buffered, nice }) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: root,
      stdio: buffered ? ["ignore", "pipe", "pipe"] : "inherit",
    });
    if (nice) {
      try {
        os.setPriority(child.pid, 10);
      } catch {
        // Not permitted here: it runs at normal priority.
      }
    }
    const out = [];
    child.stdout?.on("data", (c) => out.push(c));
    child.stderr?.on("data", (c) => out.push(c));
    child.on("close", (code, signal) =>
      resolve({ code: code ?? 1, signal, output: Buffer.concat(out).toString() }),
    );
  });
}

async function main() {
  const started = Date.now();
  const jest = run([process.execPath, bin("jest", "bin/jest.js"), ...process.argv.slice(2)], {
    buffered: false,
    nice: false,
  });
  const results = await Promise.all(
    checks.map(async (c) => {
      const r = await run(c.cmd, { buffered: true, nice: true });
      const status = r.code === 0 ? "ok" : `FAILED (${r.signal ?? r.code})`;
      process.stdout.write(`\n── ${c.name}: ${status}\n${r.code === 0 ? "" : r.output}`);
      return r.code;
    }),
  );
  const jestCode = (await jest).code;
  const failed = checks.filter((_, i) => results[i] !== 0).map((c) => c.name);
  if (jestCode !== 0) failed.push("jest");
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  const verdict = failed.length ? `FAILED: ${failed.join(", ")}` : "all passed";
  process.stdout.write(`\nnpm test: ${verdict} in ${secs}s wall${childrenCpu()}\n`);
  return failed.length ? results.find((c) => c !== 0) || jestCode : 0;
}

/** CPU time of every finished descendant (Linux: /proc/self/stat cutime + cstime), for the summary. */
function childrenCpu() {
  try {
    const stat = require("node:fs").readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[13]) + Number(fields[14]); // cutime, cstime (fields 16 and 17)
    return Number.isFinite(ticks) ? `, ${(ticks / 100).toFixed(1)}s CPU` : "";
  } catch {
    return "";
  }
}

main().then((code) => process.exit(code));
