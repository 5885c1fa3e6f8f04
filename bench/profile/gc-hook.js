/**
 * `--require` hook for a pack process started by bench/profile/pack-cpu.ts: counts the garbage
 * collector's pauses by kind (PerformanceObserver "gc" entries) and, on SIGUSR2, writes the running
 * totals with the process's CPU time to `<BENCH_GC_DIR>/gc-<pid>.json` (a sequence number says which
 * request it answers). NODE_OPTIONS refuses `--trace-gc`, so this is how the bench sees GC per analysis.
 */
"use strict";
const { PerformanceObserver, constants } = require("node:perf_hooks");
const fs = require("node:fs");
const path = require("node:path");
const { setTimeout } = require("node:timers");

const dir = process.env.BENCH_GC_DIR;
if (dir) {
  const kinds = {
    [constants.NODE_PERFORMANCE_GC_MINOR]: "scavenge",
    [constants.NODE_PERFORMANCE_GC_MAJOR]: "mark-compact",
    [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incremental",
    [constants.NODE_PERFORMANCE_GC_WEAKCB]: "weak-callbacks",
  };
  const totals = {};
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const k = kinds[e.detail ? e.detail.kind : e.kind] || "other";
      const t = (totals[k] ??= { count: 0, ms: 0 });
      t.count++;
      t.ms += e.duration;
    }
  }).observe({ entryTypes: ["gc"] });
  let seq = 0;
  process.on("SIGUSR2", () => {
    // Let pending observer entries arrive first.
    setTimeout(() => {
      const cpu = process.cpuUsage();
      const file = path.join(dir, `gc-${process.pid}.json`);
      fs.writeFileSync(
        file + ".tmp",
        JSON.stringify({
          seq: ++seq,
          cpuMs: (cpu.user + cpu.system) / 1000,
          totals,
          heap: process.memoryUsage(),
        }),
      );
      fs.renameSync(file + ".tmp", file);
    }, 20);
  });
}
