/** Writing a rendered report to stdout or a file, and the exit status it implies. */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { isBlocking, type Report } from "../policies/report";
import { formats, render, type Format, type RenderOptions } from "../reports";
import { InputError } from "../engine";

export function parseFormat(value: string): Format {
  if ((formats as readonly string[]).includes(value)) return value as Format;
  throw new InputError(`--format: '${value}' is not one of ${formats.join(", ")}`);
}

export function emit(report: Report, format: Format, output: string | undefined, opts: RenderOptions): void {
  const text = render(format, report, {
    ...opts,
    color: !output && format === "text" && process.stdout.isTTY,
  });
  if (output) {
    mkdirSync(path.dirname(path.resolve(output)), { recursive: true });
    writeFileSync(output, text);
  } else {
    process.stdout.write(text.endsWith("\n") ? text : text + "\n");
  }
}

/** 0: no mandatory violation; 1: at least one (waived findings never count). */
export function exitStatus(report: Report): 0 | 1 {
  return report.stacks.some((s) => s.findings.some(isBlocking)) ? 1 : 0;
}
