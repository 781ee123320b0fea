// Bundle the client into one ES module file (dist/dcrf-client.js, and .min.js), and copy it to
// the demo (example/demo/static/demo/dcrf-client.js), which serves it without a build step.
//   node scripts/bundle.mjs          build and update the demo's copy
//   node scripts/bundle.mjs --check  build and fail if the demo's copy is out of date
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const demoCopy = path.resolve(root, "../../example/demo/static/demo/dcrf-client.js");
const banner = "// DCRF client (clients/js), bundled by clients/js/scripts/bundle.mjs: do not edit.";
const common = { entryPoints: [path.join(root, "src/index.ts")], bundle: true, format: "esm", target: "es2020", banner: { js: banner }, logLevel: "warning" };

await build({ ...common, outfile: path.join(root, "dist/dcrf-client.js") });
await build({ ...common, outfile: path.join(root, "dist/dcrf-client.min.js"), minify: true });

const bundled = readFileSync(path.join(root, "dist/dcrf-client.js"), "utf8");
const minified = readFileSync(path.join(root, "dist/dcrf-client.min.js"));
console.log(`dcrf-client.min.js: ${minified.length} bytes, ${gzipSync(minified, { level: 9 }).length} bytes gzipped`);

if (process.argv.includes("--check")) {
  if (!existsSync(demoCopy) || readFileSync(demoCopy, "utf8") !== bundled) {
    console.error(`${demoCopy} is out of date: run "npm run build" in clients/js and commit it`);
    process.exit(1);
  }
} else {
  writeFileSync(demoCopy, bundled);
}
