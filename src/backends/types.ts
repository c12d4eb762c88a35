// The one interface every generation backend implements (replay, OpenAI-compatible HTTP, native CPU/CUDA).

export interface SamplingParams {
  temperature: number;
  topP: number;
  maxNewTokens: number;
  /** Base seed of the run; backends derive per-sample seeds as they can (seed + sampleIndex). */
  seed: number;
  /**
   * Strings that end a sample: the chat template's end of turn. HTTP servers get them as `stop` (a server that does
   * not stop on the end token would otherwise run to the limit); the native engine stops on the checkpoint's EOS ids.
   */
  stop?: string[];
}

export interface GenerationRequest {
  /** `<suite>/<problem id>` style id, unique within a run. */
  problemId: string;
  /** The problem's question, raw (backends that render prompts themselves use `prompt`). */
  question: string;
  /** The fully rendered prompt text (chat template applied, generation prompt added). */
  prompt: string;
  /** Chat messages, for backends that call a chat endpoint. */
  messages: { role: "system" | "user" | "assistant"; content: string }[];
  /** Which samples of this problem are wanted (e.g. [0, 1, 2, 3], or the missing ones on resume). */
  sampleIndices: number[];
  params: SamplingParams;
}

export interface Generation {
  problemId: string;
  sampleIndex: number;
  completion: string;
  /**
   * "stop" (end of sequence / stop token) or "length" (hit maxNewTokens); "unknown" when the backend cannot tell;
   * "error" when the server failed this sample after its retries (`error` says why, the completion is empty).
   */
  finishReason: "stop" | "length" | "unknown" | "error";
  promptTokens: number | null;
  completionTokens: number | null;
  /**
   * The new-token limit this sample ran under, present only when the backend lowered the requested one to fit the
   * model's context (see request.ts fitNewTokens); recorded per sample and counted in the metrics.
   */
  maxNewTokens?: number;
  /** Where completionTokens came from, when the backend had to choose (see TokenSource). */
  tokenSource?: TokenSource;
  /** The server's message for a failed sample (finishReason "error"). */
  error?: string;
}

/**
 * How a sample's completion token count was obtained: the response's `usage` for this one sample ("usage"), usage
 * the server gave per choice ("choice-usage"), the choice's logprob tokens ("logprobs"), the local tokenizer
 * ("tokenizer"), a batched total split in proportion to text length ("usage-split": an estimate whose sum is exact),
 * or nothing ("none").
 */
export type TokenSource = "usage" | "choice-usage" | "logprobs" | "tokenizer" | "usage-split" | "none";

export interface Backend {
  /** Short name recorded in run.json: "replay", "openai", "native-cpu", "native-cuda". */
  readonly name: string;
  /** Model identity recorded in run.json (path, URL, or file). */
  readonly model: string;
  /** Generates every requested sample; throws an Error with a one-line message on unrecoverable failure. */
  generate(req: GenerationRequest, signal?: AbortSignal): Promise<Generation[]>;
  /** Releases connections, workers, native handles. */
  close(): Promise<void>;
}
