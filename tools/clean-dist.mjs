#!/usr/bin/env node
// Empties dist/ before a build, so files whose sources moved or were deleted are never packed or imported stale.
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

rmSync(join(dirname(fileURLToPath(import.meta.url)), "..", "dist"), { recursive: true, force: true });
