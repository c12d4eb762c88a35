// Shared pieces of the CLI: exit codes, the usage-error type, argument parsers, and the context commands receive.
import { InvalidArgumentError } from "commander";

/** Exit code for usage errors (bad flags, unknown preset, missing input file). */
export const EXIT_USAGE = 2;
/** Exit code for failures while running (e.g. the grader workers cannot start). */
export const EXIT_FAILURE = 1;

/** A user error: printed as one line, exit code 2, no stack trace. */
export class UsageError extends Error {}

/** Commander parser for an integer option in [min, max]; the message names the option. */
export function intInRange(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `${name} must be an integer >= ${min}.` : `${name} must be an integer in [${min}, ${max}].`);
    }
    return n;
  };
}

export function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer.`);
    return n;
  };
}

export function positiveNumber(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number.`);
    return n;
  };
}

/** What a command's action needs from the program: where to print and how to report its exit code. */
export interface CommandContext {
  setCode: (code: number) => void;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

/** Runs a script's main and sets the exit code it returns; a crash prints its stack and exits 1. */
export function runScript(main: () => Promise<number>): void {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      console.error(e instanceof Error ? (e.stack ?? e.message) : e);
      process.exitCode = EXIT_FAILURE;
    },
  );
}
