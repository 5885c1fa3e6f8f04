import { readdirSync } from "node:fs";

/** The files of the site folder, each uploaded as one object. */
export function siteFiles(folder: string): string[] {
  return readdirSync(folder).sort();
}
