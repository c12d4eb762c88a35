#!/usr/bin/env node
// openrs-eval command line; the implementation is the compiled src/cli.ts (run `npm run build` first).
let cli;
try {
  cli = await import("../dist/src/cli.js");
} catch (e) {
  if (e && e.code === "ERR_MODULE_NOT_FOUND" && String(e.message).includes("dist")) {
    process.stderr.write("openrs-eval: dist/src/cli.js not found; run `npm run build` first\n");
    process.exit(1);
  }
  throw e;
}
process.exitCode = await cli.main(process.argv);
