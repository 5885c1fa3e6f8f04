import path from "node:path";
import { scheduleGapSeconds } from "../../policies/common";
import { repoRoot, useScanner } from "../support/scan";
import { programCopy } from "../support/tmp";
import {
  expectClean,
  fx,
  of,
  resourceNames,
  status,
  expectUndeployedAlarm,
  UNDEPLOYED_ALARM_PROGRAM,
  withSharedE2B,
} from "./helpers";

const P = "e2b-03-leak-alarm";

describe(P, () => {
  const scan = useScanner();

  it("fails a missing alarm and a key outside any environment", async () => {
    const { stack } = await scan.program(fx("cost-and-alarms-missing"), "dev");
    expect(resourceNames(of(stack, P))).toEqual(["dev", "stray-key"]);
  });

  it("fails alarms that can never fire and an alarm without owner", async () => {
    const { stack } = await scan.program(fx("cost-and-alarms-wrong"), "prod");
    const msgs = of(stack, P)
      .map((f) => f.message)
      .join("\n");
    expect(msgs).toMatch(/threshold 150 live sandboxes is above its concurrency cap of 30/);
    expect(msgs).toMatch(/sandbox age 7200s, beyond the timeout ceiling of 3600s/);
    expect(msgs).toMatch(/'loadtest' leak alarm has no owner/);
  });

  it("passes alarms within cap and ceiling", async () => {
    const { stack } = await scan.program(fx("pass-multi"), "dev");
    expect(of(stack, P)).toEqual([]);
  });

  it("reports unknown thresholds at preview as advisory", async () => {
    const { stack } = await scan.program(fx("preview-unknowns"), "prod");
    expect(of(stack, P).map((f) => f.enforcementLevel)).toEqual(["advisory"]);
    expectClean(stack);
  });
});

describe("e2b-03-leak-alarm where the component deploys no alarm", () => {
  const scan = useScanner();
  it("is inconclusive, not a pass: monitor none (every store outside AWS) leaves the declared alarm undeployed", async () => {
    // rt38 #2: monitor "none" built no alarm at all, and E2B-03 and E2B-05 read PASS.
    const { stack } = await scan.program(withSharedE2B("no-monitor-", UNDEPLOYED_ALARM_PROGRAM), "dev");
    expectUndeployedAlarm(stack, "e2b-03-leak-alarm", "E2B-03", "a leaked-sandbox alarm");
  });
});

describe(`${P} where a transform mutes the deployed monitor`, () => {
  const scan = useScanner();
  it("fails E2B-03 and E2B-05 when the monitor's schedule is disabled and its alarms notify nobody", async () => {
    // rt39 #5: a "non-prod must not page" transform left 9 pass.
    const from = path.join(repoRoot, "evals/fixtures/E2B-03/modelled-and-alarmed");
    const dir = programCopy("muted-monitor-", from, {
      "index.ts": [
        'import * as pulumi from "@pulumi/pulumi";',
        `import { E2BEnvironment } from ${JSON.stringify(path.join(repoRoot, "components"))};`,
        `import { wellKeptEnvironment } from ${JSON.stringify(path.join(repoRoot, "evals/fixtures/_shared/environment"))};`,
        "pulumi.runtime.registerResourceTransform(({ type, props, opts }) => {",
        '  if (type === "aws:cloudwatch/metricAlarm:MetricAlarm") return { props: { ...props, alarmActions: [], okActions: [] }, opts };',
        '  if (type === "aws:cloudwatch/eventRule:EventRule") return { props: { ...props, state: "DISABLED" }, opts };',
        "  return undefined;",
        "});",
        'new E2BEnvironment("prod", wellKeptEnvironment("prod", "production"));',
        "",
      ].join("\n"),
    });
    const { stack } = await scan.program(dir, "prod");
    for (const [policy, caseId] of [
      [P, "E2B-03"],
      ["e2b-05-budget-alarm", "E2B-05"],
    ]) {
      expect(of(stack, policy).map((f) => f.message)).toEqual([
        expect.stringMatching(
          /^E2BEnvironment 'prod' (leak alarm|budget alarm) is deployed muted: aws:cloudwatch\/eventRule:EventRule 'prod-monitor-schedule' is disabled, so the monitor never runs; aws:cloudwatch\/metricAlarm:MetricAlarm '.*' notifies nobody/,
        ),
      ]);
      expect(status(stack, caseId)).toBe("fail");
    }
  });
});

describe(`${P} where the monitor runs less often than its alarms look back`, () => {
  const scan = useScanner();
  it("fails E2B-03 for a daily monitor whose alarms look back five minutes, and passes the default schedule", async () => {
    // rt38 note: `monitorSchedule: "rate(1 day)"` read 9 pass; the leak alarm flaps between runs.
    const from = path.join(repoRoot, "evals/fixtures/E2B-03/modelled-and-alarmed");
    const program = (schedule: string) =>
      programCopy("sparse-monitor-", from, {
        "index.ts": [
          `import { E2BEnvironment } from ${JSON.stringify(path.join(repoRoot, "components"))};`,
          `import { wellKeptEnvironment } from ${JSON.stringify(path.join(repoRoot, "evals/fixtures/_shared/environment"))};`,
          `new E2BEnvironment("prod", { ...wellKeptEnvironment("prod", "production"), monitorSchedule: ${JSON.stringify(schedule)} });`,
          "",
        ].join("\n"),
      });
    const daily = (await scan.program(program("rate(1 day)"), "prod")).stack;
    expect(of(daily, P).map((f) => f.message)).toEqual([
      expect.stringMatching(
        /^E2BEnvironment 'prod' leak alarm is deployed muted: aws:cloudwatch\/eventRule:EventRule 'prod-monitor-schedule' runs the monitor every 86400s, less often than its alarms look back \(300s\), so they go without data between runs/,
      ),
    ]);
    expect(status(daily, "E2B-03")).toBe("fail");
    // The same daily run written as a cron (rt45 #7).
    const nightly = (await scan.program(program("cron(0 0 * * ? *)"), "prod")).stack;
    expect(of(nightly, P).map((f) => f.message)).toEqual([
      expect.stringMatching(/runs the monitor every 86400s, less often than its alarms look back \(300s\)/),
    ]);
    const often = (await scan.program(program("rate(5 minutes)"), "prod")).stack;
    expect(of(often, P)).toEqual([]);
    expect(status(often, "E2B-03")).toBe("pass");
  });
});

describe("the longest wait between a schedule's runs", () => {
  it.each([
    ["rate(5 minutes)", 300],
    ["rate(1 day)", 86_400],
    ["cron(0 0 * * ? *)", 86_400],
    ["cron(0 * * * ? *)", 3_600],
    ["cron(*/5 * * * ? *)", 300],
    ["cron(0/5 * * * ? *)", 300],
    ["cron(0,30 * * * ? *)", 1_800],
    ["cron(* * * * ? *)", 60],
    ["cron(0 */6 * * ? *)", 21_600],
    // Working hours only: the night between is the longest wait.
    ["cron(0 8-17 * * ? *)", 15 * 3_600],
    ["cron(0/5 * ? * MON-FRI *)", 86_400],
    // Every hour written as a range; a month or a year pinned (rt46 #8).
    ["cron(*/5 0-23 * * ? *)", 300],
    ["cron(*/5 * * 1 ? *)", 365 * 86_400],
    ["cron(*/5 * * * ? 2025)", 365 * 86_400],
  ] as const)("%s: %d s", (expression, seconds) => expect(scheduleGapSeconds(expression)).toBe(seconds));

  it.each(["cron(bad)", "cron(99 * * * ? *)", "every 5 minutes", ""])("%p reads as none", (expression) =>
    expect(scheduleGapSeconds(expression)).toBeUndefined(),
  );
});
