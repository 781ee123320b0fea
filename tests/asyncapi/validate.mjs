// Validate AsyncAPI documents with the reference parser (@asyncapi/parser).
// Usage: node validate.mjs FILE...   Prints one JSON line per file:
//   {"file": ..., "valid": true|false, "errors": [...], "warnings": N}
// Exit status: 0 when every document is valid (no diagnostics of severity "error").
import { readFile } from "node:fs/promises";
import { Parser } from "@asyncapi/parser";

const parser = new Parser();
let failed = false;
for (const file of process.argv.slice(2)) {
  const source = await readFile(file, "utf8");
  const { document, diagnostics } = await parser.parse(source);
  // Severity 0 is "error" in the Spectral diagnostics the parser returns.
  const errors = diagnostics
    .filter((d) => d.severity === 0)
    .map((d) => ({ code: d.code, message: d.message, path: d.path.join(".") }));
  const valid = document !== undefined && errors.length === 0;
  failed ||= !valid;
  const warnings = diagnostics.filter((d) => d.severity === 1);
  console.log(JSON.stringify({ file, valid, errors, warnings: warnings.map((d) => ({ code: d.code, message: d.message, path: d.path.join(".") })) }));
}
process.exit(failed ? 1 : 0);
