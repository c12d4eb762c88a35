// The paper's user prompt, byte-exact, and the chat it is sent as. Rendering through a model's chat template is
// native/ts/chat-template.ts (the one renderer); src/runner/prepare.ts puts the two together.

/**
 * Open-RS's evaluation prompt, byte-exact (../shared/benchmarks/README.md): two spaces after "clearly.", one
 * backslash before `boxed`, a blank line before the problem, no trailing newline. `{Question}` is the problem text.
 */
export const PAPER_PROMPT_TEMPLATE =
  "Solve the following math problem efficiently and clearly.  The last line of your response should be of the following format: " +
  "'Therefore, the final answer is: $\\boxed{ANSWER}$. I hope it is correct' (without quotes) where ANSWER is just the final " +
  "number or expression that solves the problem. Think step by step before answering.\n\n{Question}";

/** The user message for one problem. A function replacement, so `$&`-style patterns in problems stay literal. */
export function userPrompt(question: string, template: string = PAPER_PROMPT_TEMPLATE): string {
  return template.replace("{Question}", () => question);
}

/** One turn of the chat sent for a problem (the shape chat templates and chat endpoints take). */
export interface PromptMessage {
  role: "system" | "user";
  content: string;
}

export interface PromptOptions {
  /** A system message before the user turn; the paper used none. */
  systemPrompt?: string;
  /** User-prompt template with `{Question}` (default: the paper's). */
  template?: string;
}

/** The chat the paper sent: (optional system message and) the one user message. */
export function chatMessages(question: string, opts: PromptOptions = {}): PromptMessage[] {
  const messages: PromptMessage[] = [];
  if (opts.systemPrompt !== undefined) messages.push({ role: "system", content: opts.systemPrompt });
  messages.push({ role: "user", content: userPrompt(question, opts.template) });
  return messages;
}
