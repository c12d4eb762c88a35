// Writes benchmarks/data/arith-test-v1.jsonl, the arith suite's committed test split (ARITH_TEST_V1: seed, count).
// test/benchmarks/arith.test.ts regenerates it in memory and requires the same bytes, so never edit the file by hand:
// a change of generator means a new version (arith-test-v2.jsonl, suite version bumped).
import { writeFileSync } from "node:fs";
import { ARITH_TEST_V1, arithTestJsonl, generateTest } from "../../benchmarks/arith-gen.js";

const out = process.argv[2] ?? "benchmarks/data/arith-test-v1.jsonl";
writeFileSync(out, arithTestJsonl(generateTest(ARITH_TEST_V1.seed, ARITH_TEST_V1.count)));
console.log(`wrote ${ARITH_TEST_V1.count} problems to ${out}`);
