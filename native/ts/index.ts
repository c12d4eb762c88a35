// index.ts: public entry of the native engine for the runner's `native` backend and the trainer (engine, tokenizer, tiny models, reference).
export {
  type GeneratedSequence,
  type GenerateRequest,
  type GenerateResult,
  type KvUsage,
  type ModelInfo,
  NativeModel,
  type NativeModelOptions,
  NativeSession,
  type NativeStatus,
  nativeStatus,
  probeMachine,
  simdName,
  type SampleParams,
  type StepEvent,
} from "./native.js";
export { type BatcherOptions, type BatchRequest, ContinuousBatcher } from "./batcher.js";
export { ReferenceModel } from "./reference.js";
export { type Arch, TINY_EOS, type TinyModelOptions, writeTinyModel } from "./tiny-model.js";
export { type AdamWParams, NativeTrainer, type NativeTrainerOptions, type Packed, pack, type TensorKind, type TrainerInfo } from "./train.js";
export { type ChatMessage, type CheckpointTokenizer, loadTokenizer } from "./tokenizer.js";
