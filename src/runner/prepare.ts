// Everything a run needs before the first request: the suites and their problems from the registry, and the prompt
// renderer (the model's chat template, or the plain user message when the server or the replay file has its own).
import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { resolveBenchList } from "../../benchmarks/registry.js";
import { loadProblems } from "../../benchmarks/load.js";
import { chatMessages, type PromptOptions, userPrompt } from "../../benchmarks/prompt.js";
import type { Problem, SuiteConfig } from "../../benchmarks/types.js";
import { compileChatTemplate, endOfTurnStrings, loadTokenizerConfig, type TokenizerConfig } from "../../native/ts/chat-template.js";
import type { RenderedPrompt, RunSuite } from "./runner.js";

/** Loads the suites of a `--bench` value ("all" or "a,b"), each limited to its first `limit` problems. */
export function prepareSuites(bench: string, opts: { dataDir?: string; limit?: number } = {}): RunSuite[] {
  return resolveBenchList(bench).map((config) => ({ config, problems: loadProblems(config, { dataDir: opts.dataDir, limit: opts.limit }) }));
}

export interface PromptRenderer {
  render: (problem: Problem, suite: SuiteConfig) => RenderedPrompt;
  /** Recorded in run.json: "chat-template:<hash of the template>" or "user-message". */
  format: string;
  /** The template's end-of-turn strings (see endOfTurnStrings); none when the server applies its own template. */
  stop: string[];
}

/**
 * The prompt text of one problem: the paper's chat (see chatMessages) through the model's chat template, generation
 * prompt added. The text starts with the template's BOS when the template writes one, so tokenize it without adding
 * special tokens again. Compile once, render many.
 */
export function compileChatPrompt(config: TokenizerConfig, opts: PromptOptions = {}): (question: string) => string {
  const render = compileChatTemplate(config);
  return (question) => render(chatMessages(question, opts));
}

/** One-off form of compileChatPrompt. */
export function renderChatPrompt(question: string, config: TokenizerConfig, opts: PromptOptions = {}): string {
  return compileChatPrompt(config, opts)(question);
}

/** Renders through the chat template of `<dir>/tokenizer_config.json` (generation prompt added). */
export function chatTemplateRenderer(dir: string): PromptRenderer {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`--tokenizer ${dir}: not a directory holding tokenizer_config.json`);
  const config = loadTokenizerConfig(dir);
  const renderChat = compileChatTemplate(config);
  const templateHash = createHash("sha256").update(JSON.stringify(config.chat_template)).digest("hex").slice(0, 12);
  return {
    format: `chat-template:${templateHash}`,
    stop: endOfTurnStrings(config),
    // A suite's own template (a short one for a small context) replaces the paper's user prompt.
    render: (p, suite) => {
      const messages = chatMessages(p.question, { template: suite.promptTemplate });
      return { prompt: renderChat(messages), messages };
    },
  };
}

/** The suite's user message (the paper's unless the suite has its own template) as the prompt, for backends that apply the template themselves (chat endpoint, replay). */
export function userMessageRenderer(): PromptRenderer {
  return {
    format: "user-message",
    stop: [],
    render: (p, suite) => ({ prompt: userPrompt(p.question, suite.promptTemplate), messages: chatMessages(p.question, { template: suite.promptTemplate }) }),
  };
}
