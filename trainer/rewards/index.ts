// Public entry point of the RL rewards: the functions, their registry, the weighted set, tokenizer loading.
export type { Gold, Reward, RewardContext, RewardSpec, TokenCounter } from "./types.js";
export { accuracy, accuracyReward, goldIsParsable, rewardVerdicts, ACCURACY_DEFAULTS, ON_BAD_GOLD } from "./accuracy.js";
export type { AccuracyOptions, OnBadGold } from "./accuracy.js";
export { format, tagCount, formatReward, tagCountReward, formatValue, tagCountValue } from "./format.js";
export {
  cosine,
  cosineReward,
  cosineValue,
  codePointLength,
  resolveCosineOptions,
  COSINE_OPENRS_DEFAULTS,
  COSINE_CLAMPED_DEFAULTS,
  COSINE_MODES,
} from "./cosine.js";
export type { CosineMode, CosineOptions } from "./cosine.js";
export { repetition, repetitionReward, repetitionValue, pythonWords, REPETITION_DEFAULTS } from "./repetition.js";
export type { RepetitionOptions } from "./repetition.js";
export { language, languageReward, nonLatinProseFraction, proseOf, LANGUAGE_DEFAULTS } from "./language.js";
export type { LanguageOptions } from "./language.js";
export { REWARDS, makeReward } from "./registry.js";
export { RewardSet } from "./weighted.js";
export type { RewardBatch, RewardSetConfig } from "./weighted.js";
export { loadTokenCounter, tokenCounterFromJson, TokenizerCounter } from "./tokenizer.js";
