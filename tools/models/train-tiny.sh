#!/usr/bin/env bash
# Rebuilds the shipped tiny models from nothing, with the commands their model cards list:
#   stage 0  copy warm-up: SFT on short copy drills from a random init, then on the arith questions answered with their
#            numbers (from a random init neither long copying nor arith had begun after 100-300 steps; after the short
#            drills long copying is learned in ~100 steps)
#   stage 1  SFT on one-line worked arith solutions (`583 + 887 = 1470`): format and copying learned, sums not (0.6 %)
#   stage 1b SFT on the column scratchpad (word problems and bare drills, half each), two passes (the second reseeded)
#            -> models/openrs-tiny-sft (bf16)
#   stage 2  GRPO, recipe tiny-arith-exp2  -> models/openrs-tiny (bf16)
# Usage: tools/models/train-tiny.sh WORK_DIR [--install]   (about 75 minutes on 2 cores; nothing outside WORK_DIR is written
# until the final copies into models/, which happen only with --install)
set -euo pipefail
work=${1:?usage: tools/models/train-tiny.sh WORK_DIR [--install]}
install=${2:-}
cli="node bin/openrs-eval.js"
SFT_STEPS=${SFT_STEPS:-600}
COLUMN2_STEPS=${COLUMN2_STEPS:-100}
mkdir -p "$work"
npx tsx tools/data/make-arith-train.ts copy 3 20000 "$work/copy.jsonl"
npx tsx tools/data/make-arith-train.ts copy-long 1 20000 "$work/copy-long.jsonl"
npx tsx tools/data/make-arith-train.ts sft 1 50000 "$work/sft.jsonl"
npx tsx tools/data/make-arith-train.ts column 21 30000 "$work/column.jsonl"
npx tsx tools/data/make-arith-train.ts column-drill 22 30000 "$work/column-drill.jsonl"
cat "$work/column.jsonl" "$work/column-drill.jsonl" > "$work/column-mix.jsonl"
npx tsx tools/data/make-arith-train.ts grpo 2 5000 "$work/grpo.jsonl"
$cli model tiny --arch qwen2 --out "$work/init" --seed 1 --dtype f32 --hidden 256 --layers 4 --heads 4 --kv-heads 2 \
  --ffn 768 --tied --max-positions 512 --embed-scale 0.02 --think
$cli train sft --model "$work/init" --data "$work/copy.jsonl" --out "$work/stage0" --lr 1e-3 --batch-tokens 4096 \
  --max-steps 120 --save-every 0 --max-len 512 --schedule constant_with_warmup --warmup-ratio 0.03 --seed 42
# long copy: two passes of 60 steps (the second reseeded, optimizer state fresh), as the shipped model was made
$cli train sft --model "$work/stage0/final" --data "$work/copy-long.jsonl" --out "$work/stage0b" --lr 5e-4 --batch-tokens 4096 \
  --max-steps 60 --save-every 0 --max-len 512 --schedule constant_with_warmup --warmup-steps 5 --seed 42
$cli train sft --model "$work/stage0b/final" --data "$work/copy-long.jsonl" --out "$work/stage0c" --lr 5e-4 --batch-tokens 4096 \
  --max-steps 60 --save-every 0 --max-len 512 --schedule constant_with_warmup --warmup-steps 5 --seed 7
$cli train sft --model "$work/stage0c/final" --data "$work/sft.jsonl" --out "$work/stage1" --lr 5e-4 --batch-tokens 8192 \
  --max-steps "$SFT_STEPS" --save-every 0 --max-len 512 --schedule constant_with_warmup --warmup-steps 10 --seed 42 --dtype bf16
# column scratchpad: 300 steps, then COLUMN2_STEPS more reseeded (optimizer state fresh), as the shipped model was made
$cli train sft --model "$work/stage1/final" --data "$work/column-mix.jsonl" --out "$work/stage1b" --lr 5e-4 --batch-tokens 8192 \
  --max-steps 300 --save-every 0 --max-len 512 --schedule constant_with_warmup --warmup-steps 10 --seed 42 --dtype bf16
$cli train sft --model "$work/stage1b/final" --data "$work/column-mix.jsonl" --out "$work/stage1c" --lr 5e-4 --batch-tokens 8192 \
  --max-steps "$COLUMN2_STEPS" --save-every 0 --max-len 512 --schedule constant_with_warmup --warmup-steps 10 --seed 43 --dtype bf16
$cli train grpo --recipe tiny-arith-exp2 --model "$work/stage1c/final" --data "$work/grpo.jsonl" --out "$work/stage2" \
  --eval-every 50 --eval-bench arith --eval-samples 4 --dtype bf16
if [ "$install" = "--install" ]; then
  for pair in "stage1c/final:openrs-tiny-sft" "stage2/final:openrs-tiny"; do
    src="$work/${pair%%:*}"; dst="models/${pair##*:}"
    mkdir -p "$dst"
    cp "$src"/{config.json,generation_config.json,model.safetensors,tokenizer.json,tokenizer_config.json} "$dst/"
  done
fi
