// Shared pieces of the CLI: exit codes, the usage-error type, argument parsers, and the context commands receive.
import { InvalidArgumentError } from "commander";

/** Exit code for usage errors (bad flags, unknown preset, missing input file). */
export const EXIT_USAGE = 2;
/** Exit code for failures while running (e.g. the grader workers cannot start). */
export const EXIT_FAILURE = 1;

/** A user error: printed as one line, exit code 2, no stack trace. */
export class UsageError extends Error {}

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
