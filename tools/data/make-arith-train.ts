// Writes the tiny model's training data from the arith generator's training split (never a test-split key):
//   tsx tools/data/make-arith-train.ts sft  SEED COUNT OUT.jsonl   -> {"prompt", "completion"} rows for `train sft`
//   tsx tools/data/make-arith-train.ts grpo SEED COUNT OUT.jsonl   -> {"problem", "answer", "difficulty"} rows for `train grpo`
//   tsx tools/data/make-arith-train.ts copy SEED COUNT OUT.jsonl   -> copy drills ("Copy 739 and 588.") for the warm-up SFT
//   tsx tools/data/make-arith-train.ts copy-long SEED COUNT OUT.jsonl -> arith questions answered with their numbers
//   tsx tools/data/make-arith-train.ts column SEED COUNT OUT.jsonl -> SFT rows worked in the column scratchpad
//   tsx tools/data/make-arith-train.ts column-drill SEED COUNT OUT.jsonl -> bare operations worked in columns
// Deterministic per (kind, seed, count): the model cards give the exact arguments.
import { writeFileSync } from "node:fs";
import { arithColumnDrillRows, arithColumnRows, arithCopyRows, arithGrpoRows, arithLongCopyRows, arithSftRows } from "../../benchmarks/arith-train.js";

const [kind, seedArg, countArg, out] = process.argv.slice(2);
const seed = Number(seedArg);
const count = Number(countArg);
if (!["sft", "grpo", "copy", "copy-long", "column", "column-drill"].includes(kind) || !Number.isInteger(seed) || !Number.isInteger(count) || count < 1 || !out) {
  console.error("usage: tsx tools/data/make-arith-train.ts sft|grpo|copy|copy-long|column|column-drill SEED COUNT OUT.jsonl");
  process.exit(2);
}
const make = {
  sft: arithSftRows,
  copy: arithCopyRows,
  "copy-long": arithLongCopyRows,
  grpo: arithGrpoRows,
  column: arithColumnRows,
  "column-drill": arithColumnDrillRows,
}[kind as "sft"];
const rows = make(seed, count);
writeFileSync(out, `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);
console.log(`wrote ${rows.length} ${kind} rows (${kind === "copy" || kind === "column-drill" ? "drills" : "arith training split"}, seed ${seed}) to ${out}`);
