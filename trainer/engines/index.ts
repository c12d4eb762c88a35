// Opens a TrainEngine by name. The native engine (trainer/engines/native.ts) is loaded on demand: it needs the
// compiled library, and the reference engine must keep working where that is absent.
import type { TrainEngine } from "../engine.js";
import { ReferenceEngine } from "./reference.js";

export const ENGINES = ["native", "reference"] as const;
export type EngineName = (typeof ENGINES)[number];

/** What trainer/engines/native.ts exports for `--engine native`. */
export type NativeEngineModule = { NativeTrainEngine: { open(modelDir: string): Promise<TrainEngine> } };

/** The native engine module, or the one-line reason it cannot be used here. */
export async function nativeEngineModule(): Promise<NativeEngineModule | string> {
  // a variable specifier: the module may not exist in this build, and its absence is an answer, not a compile error
  const spec = "./native.js";
  let mod: Partial<NativeEngineModule>;
  try {
    mod = (await import(spec)) as Partial<NativeEngineModule>;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === "ERR_MODULE_NOT_FOUND" && String((e as Error).message).includes("native")) return "the native trainer (trainer/engines/native) is not part of this build";
    return `the native trainer cannot be loaded: ${(e as Error).message.split("\n")[0]}`;
  }
  if (typeof mod.NativeTrainEngine?.open !== "function") return "trainer/engines/native does not export NativeTrainEngine.open(modelDir)";
  return mod as NativeEngineModule;
}

export async function openEngine(name: EngineName, modelDir: string): Promise<TrainEngine> {
  if (name === "reference") return ReferenceEngine.load(modelDir);
  const mod = await nativeEngineModule();
  if (typeof mod === "string") throw new Error(`--engine native: ${mod} (use --engine reference for tiny models)`);
  return mod.NativeTrainEngine.open(modelDir);
}
