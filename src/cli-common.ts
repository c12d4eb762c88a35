// Shared pieces of the CLI: exit codes, the usage-error type, argument parsers, and the context commands receive.
import { InvalidArgumentError } from "commander";

/** Exit code for usage errors (bad flags, unknown preset, missing input file). */
export const EXIT_USAGE = 2;
/** Exit code for failures while running (e.g. the grader workers cannot start). */
export const EXIT_FAILURE = 1;

/** A user error: printed as one line, exit code 2, no stack trace. */
export class UsageError extends Error {}

// The one family of number parsers for flags: every command validates numbers through these, so the same kind of
// flag gets the same message everywhere ("--x must be ...", naming the flag).

/** Commander parser for an integer option in [min, max] (plain "integer >= min" when there is no upper bound). */
export function intInRange(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === "" || !Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `${name} must be an integer >= ${min}.` : `${name} must be an integer in [${min}, ${max}].`);
    }
    return n;
  };
}

export function positiveInt(name: string) {
  const parse = intInRange(name, 1);
  return (v: string): number => {
    try {
      return parse(v);
    } catch {
      throw new InvalidArgumentError(`${name} must be a positive integer.`);
    }
  };
}

/** Commander parser for a number in [min, max], or (min, max] when `minOpen`. */
export function numberInRange(name: string, min: number, max: number, minOpen = false) {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === "" || !Number.isFinite(n) || n > max || (minOpen ? n <= min : n < min)) {
      throw new InvalidArgumentError(`${name} must be a number in ${minOpen ? "(" : "["}${min}, ${max}].`);
    }
    return n;
  };
}

export function positiveNumber(name: string) {
  const parse = numberInRange(name, 0, Number.MAX_VALUE, true);
  return (v: string): number => {
    try {
      return parse(v);
    } catch {
      throw new InvalidArgumentError(`${name} must be a positive number.`);
    }
  };
}

/** What a command's action needs from the program: where to print and how to report its exit code. */
export interface CommandContext {
  setCode: (code: number) => void;
  /** The arguments after the program name, as given (recorded in run.json). */
  argv?: string[];
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
