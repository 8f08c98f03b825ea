// Bundles topicmap.js (and the libraries it imports, from package-lock.json) into
// src/litfeed/web/static/topicmap.js; the first line names the sources' SHA-256, which
// tests/test_topic_map.py checks against the sources, so the committed bundle cannot drift.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { build } from "esbuild";

const digest = createHash("sha256");
for (const name of ["topicmap.js", "package-lock.json"]) digest.update(readFileSync(name));
const stamp = digest.digest("hex");

await build({
  entryPoints: ["topicmap.js"],
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2020",
  legalComments: "eof",
  banner: { js: `// litfeed topic map, built by js/build.mjs from sources sha256:${stamp}` },
  outfile: "../src/litfeed/web/static/topicmap.js",
});
console.log(`built src/litfeed/web/static/topicmap.js (sources sha256:${stamp})`);
