/** Writing a rendered report to stdout or a file, and the exit status it implies. */
import { existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { isBlocking, type Report } from "../policies/api";
import { formats, render, type Format, type RenderOptions } from "../reports";
import { InputError } from "../engine";

export function parseFormat(value: string): Format {
  if ((formats as readonly string[]).includes(value)) return value as Format;
  throw new InputError(`--format: '${value}' is not one of ${formats.join(", ")}`);
}

/**
 * Make sure a report can be written to `file` (its folder is created) before any work is done, so a
 * bad `--output` or `--report-dir` is one line and exit 2, not a lost run. `flag` names the option.
 */
export function prepareOutput(file: string, flag: string, kind: "file" | "dir" = "file"): void {
  const dir = kind === "dir" ? path.resolve(file) : path.dirname(path.resolve(file));
  try {
    mkdirSync(dir, { recursive: true });
    if (kind === "file" && existsSync(file) && statSync(file).isDirectory())
      throw Object.assign(new Error("is a folder"), { code: "EISDIR" });
  } catch (e) {
    throw new InputError(`${flag} ${file}: cannot write there (${writeProblem(e)})`, file);
  }
}

function writeProblem(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
}

export function emit(report: Report, format: Format, output: string | undefined, opts: RenderOptions): void {
  const text = render(format, report, {
    ...opts,
    color: !output && format === "text" && process.stdout.isTTY,
  });
  if (output) {
    prepareOutput(output, "--output");
    try {
      writeFileSync(output, text);
    } catch (e) {
      throw new InputError(`--output ${output}: cannot write there (${writeProblem(e)})`, output);
    }
  } else {
    process.stdout.write(text.endsWith("\n") ? text : text + "\n");
  }
}

/** 0: no mandatory violation; 1: at least one (waived findings never count). */
export function exitStatus(report: Report): 0 | 1 {
  return report.stacks.some((s) => s.findings.some(isBlocking)) ? 1 : 0;
}
