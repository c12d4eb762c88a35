#!/usr/bin/env bash
# check.sh: builds the engine with CUDA, checks every kernel against CPU loops (tests/cuda_check.cu), then compares the CUDA and
# CPU engines (tests/cuda_vs_cpu.c) on tiny and larger random checkpoints (logits, greedy tokens) and prints CUDA
# prefill/decode tokens/s.
# Models are written by native/ts/tiny-model.ts (needs node + npx tsx); without node only the kernel check runs.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(dirname "$here")"
build="$here/build-cuda"
command -v nvcc >/dev/null || { echo "check.sh: nvcc not found"; exit 2; }
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release -DOPENRS_BUILD_CUDA=ON --log-level=WARNING
cmake --build "$build" -j"$(nproc)" --target openrs openrs_cuda_check openrs_cuda_vs_cpu
"$build/openrs_cuda_check"
if ! command -v node >/dev/null || [ ! -d "$repo/node_modules" ]; then
  echo "check.sh: node or node_modules missing: skipping the model-level CUDA vs CPU comparison"
  exit 0
fi
models="${TMPDIR:-/tmp}/openrs-cuda-check"
mkdir -p "$models"
cd "$repo"
cat > "$models/make.ts" <<TS
import { writeTinyModel } from "$repo/native/ts/tiny-model.ts";
writeTinyModel("$models/tiny", { arch: "qwen2", dtype: "BF16", seed: 7 });
writeTinyModel("$models/tiny-qwen3", { arch: "qwen3", dtype: "BF16", seed: 8, headDim: 32 });
writeTinyModel("$models/tiny-llama3-rope", { arch: "llama", dtype: "BF16", seed: 10, ropeScaling: { rope_type: "llama3", factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 } });
writeTinyModel("$models/tiny-yarn", { arch: "qwen2", dtype: "BF16", seed: 11, ropeScaling: { rope_type: "yarn", factor: 4, original_max_position_embeddings: 64 } });
writeTinyModel("$models/mid", { arch: "qwen2", dtype: "BF16", seed: 9, hidden: 896, layers: 4, heads: 14, kvHeads: 2, ffn: 4864, vocab: 32768, fastRandom: true });
TS
npx tsx "$models/make.ts"
status=0
for m in tiny tiny-qwen3 tiny-llama3-rope tiny-yarn mid; do
  echo "== $m"
  "$build/openrs_cuda_vs_cpu" "$models/$m" 64 || status=1
done
exit $status
