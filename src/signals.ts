// The CLI's last word on SIGINT / SIGTERM: whatever a command does on a stop signal, the process ends soon after.
// A command that handles the signal itself (the runner saves finished samples, the reward server drains requests)
// gets a grace period; a second signal, or a command with no handler of its own, ends the process at once.

const SIGNALS = ["SIGINT", "SIGTERM"] as const;
const EXIT_CODE: Record<(typeof SIGNALS)[number], number> = { SIGINT: 130, SIGTERM: 143 };

/** How long a command may take to stop after the first signal (ms); commands with a longer drain raise it. */
let graceMs = 2000;

/** Sets the grace period after the first stop signal (the reward server: its drain time). */
export function setSignalGrace(ms: number): void {
  graceMs = ms;
}

/** Installs the fallback; returns its uninstaller. */
export function installSignalFallback(err: NodeJS.WritableStream, exit: (code: number) => void = (c) => process.exit(c)): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const handler = (sig: (typeof SIGNALS)[number]): void => {
    const code = EXIT_CODE[sig];
    // Only this listener: the command has no handler of its own, so stopping at once is the expected behaviour.
    if (timer !== null || process.listenerCount(sig) <= 1) {
      if (timer !== null) err.write(`openrs-eval: ${sig} again, exiting now\n`);
      exit(code);
      return;
    }
    timer = setTimeout(() => {
      err.write(`openrs-eval: still running ${Math.round(graceMs / 1000)} s after ${sig}; exiting\n`);
      exit(code);
    }, graceMs);
    timer.unref();
  };
  const listeners = SIGNALS.map((sig) => {
    const l = (): void => handler(sig);
    process.on(sig, l);
    return [sig, l] as const;
  });
  return () => {
    for (const [sig, l] of listeners) process.off(sig, l);
    if (timer !== null) clearTimeout(timer);
  };
}
