// Public entry point of the eval runner: run, resume, score, compare and regrade evaluations (the CLI is a thin shell).
export { GRADER_VERSION, PAPER_SAMPLING, RUN_PRESETS, gitInfo, metricsFor, requestId, runEval } from "./runner.js";
export type { RenderedPrompt, RunOptions, RunResult, RunSuite } from "./runner.js";
export { CI_LEVEL, DEFAULT_RESAMPLES, computeMetrics, defaultKs, failedNote, majorityCorrect } from "./metrics.js";
export type { FailureCounts, MetricOptions, OverallMetrics, RunMetrics, ScoredSample, SuiteMetrics, Uncertainty } from "./metrics.js";
export { bootstrapMeans, clusteredStandardError, mcnemarExact, passAtK, percentileInterval } from "./stats.js";
export type { McNemarResult } from "./stats.js";
export {
  RUN_FILE,
  RUN_SCHEMA,
  RUN_SCHEMA_VERSION,
  RunDirError,
  SAMPLES_FILE,
  SUMMARY_FILE,
  SampleScanner,
  readManifest,
  readSamples,
  sampleFingerprint,
} from "./run-dir.js";
export type { RunManifest, RunSettings, SampleRecord, SuiteEntry } from "./run-dir.js";
export { COMPARE_ALPHA, compareRuns, noiseNote, VERDICT_RULE } from "./compare.js";
export type { Comparison, SuiteComparison, Verdict, VerdictTest } from "./compare.js";
export { regradeRun } from "./regrade.js";
export type { RegradeOptions, RegradeResult, VerdictChange } from "./regrade.js";
export { isLanguageDrift, LANGUAGE_DRIFT_THRESHOLD, nonLatinProseFraction } from "../../grading/language.js";
export { chatTemplateRenderer, prepareSuites, userMessageRenderer } from "./prepare.js";
export type { PromptRenderer } from "./prepare.js";
export { detailTable, errorNote, summaryMarkdown, table1 } from "./report.js";
