#!/usr/bin/env node
// Writes policies/README.md from the compiled policy objects (`npm run docs -w policies` builds first).
// The text is passed through Prettier when it is installed, so `prettier --write` leaves it unchanged.
const fs = require("node:fs");
const path = require("node:path");
const { renderReadme } = require("../dist/docs.js");

async function formatted(file) {
  const text = renderReadme();
  let prettier;
  try {
    prettier = require("prettier");
  } catch {
    return text;
  }
  const options = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(text, { ...options, filepath: file });
}

module.exports = { formatted };

if (require.main === module) {
  const file = path.join(__dirname, "..", "README.md");
  formatted(file).then((text) => {
    // `--stdout`: print instead of writing (the README test compares this with the committed file).
    if (process.argv.includes("--stdout")) return void process.stdout.write(text);
    fs.writeFileSync(file, text);
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
  });
}
