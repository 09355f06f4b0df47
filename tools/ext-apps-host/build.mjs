// Bundle entry.js (the pinned app-bridge and its dependencies) into one browser script: argv[2] is the output file.
import { build } from "esbuild";

await build({
  entryPoints: [new URL("./entry.js", import.meta.url).pathname],
  bundle: true,
  format: "iife",
  platform: "browser",
  target: "es2022",
  outfile: process.argv[2],
  logLevel: "warning",
});
