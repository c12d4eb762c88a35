// Public entry point of the benchmarks library: suite registry, data loading and download, prompt and its hash.
export type { BenchmarkRow, Problem, SuiteConfig } from "./types.js";
export type { SuiteSource } from "./source.js";
export {
  getSource,
  getSuite,
  PAPER_SUITE_IDS,
  resolveBenchList,
  SOURCES,
  SUITE_IDS,
  SUITES,
  UnknownSuiteError,
} from "./registry.js";
export { BenchmarkDataError, goldOf, loadProblems, readSuiteRows, suiteFile } from "./load.js";
export type { LoadOptions } from "./load.js";
export { defaultCacheDir, findDataDir, resolveDataDir, resolvePullDir, sharedDataDir } from "./data-dir.js";
export type { DataDir, DataDirOrigin } from "./data-dir.js";
export { normalizeRows, pullSuite, selectSplitFiles, verifyRows, writeJsonlAtomic } from "./pull.js";
export type { PullOptions, PullResult } from "./pull.js";
export { downloadDatasetFile, HubError, hubEndpoint, listDatasetFiles, resolveUrl } from "./hub.js";
export type { HubFile, HubOptions } from "./hub.js";
export { decodeRows, formatOf } from "./decode.js";
export { chatMessages, PAPER_PROMPT_TEMPLATE, userPrompt } from "./prompt.js";
export type { PromptMessage, PromptOptions } from "./prompt.js";
export { hashExamples, promptHash } from "./prompt-hash.js";
export { listSuites, suiteStatus } from "./status.js";
export type { BenchListing, SuiteStatus } from "./status.js";
