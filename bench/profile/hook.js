/**
 * `--require` hook that CPU-profiles a process which cannot take `--cpu-prof` (NODE_OPTIONS refuses
 * it; the policy pack is spawned by the engine): profiles from load to exit or SIGTERM and writes
 * `<BENCH_PROF_DIR>/<tag>-<pid>.cpuprofile`. Used by `bench/profile/audit.ts` only.
 */
"use strict";
const inspector = require("node:inspector");
const fs = require("node:fs");
const path = require("node:path");

const dir = process.env.BENCH_PROF_DIR;
if (dir) {
  const session = new inspector.Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 500 });
  session.post("Profiler.start");
  const tag = process.argv[1] && process.argv[1].includes("run-policy-pack") ? "pack" : "main";
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    session.post("Profiler.stop", (err, r) => {
      if (!err)
        fs.writeFileSync(path.join(dir, `${tag}-${process.pid}.cpuprofile`), JSON.stringify(r.profile));
    });
  };
  process.on("exit", write);
  process.on("SIGTERM", () => {
    write();
    process.exit(0);
  });
}
