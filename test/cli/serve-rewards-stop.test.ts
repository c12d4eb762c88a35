// `npx openrs-eval serve-rewards` runs the server under npm and a shell; a stop signal to npx ends those without
// passing it on. The server must not be left orphaned and listening: it stops when its parent goes away.
// (needs the build: npm run build)
import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = resolve(fileURLToPath(new URL(".", import.meta.url)), "../..");

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("serve-rewards under a wrapper process", () => {
  it("stops (draining, exit 0) when the wrapper that started it is killed", async () => {
    // The shell plays npx: it starts the server in the background and is then killed without forwarding anything.
    const script = `${JSON.stringify(process.execPath)} ${JSON.stringify(join(root, "bin", "openrs-eval.js"))} serve-rewards --port 0 --jobs 1 2>&1 & echo "PID $!"; wait`;
    const wrapper = spawn("sh", ["-c", script], { env: { ...process.env, OPENRS_PARENT_POLL_MS: "100" }, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    wrapper.stdout.on("data", (d) => {
      out += d;
    });
    for (let i = 0; i < 150 && !/listening on (http:\S+)/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
    const url = /listening on (http:\S+)/.exec(out)?.[1];
    const pid = Number(/PID (\d+)/.exec(out)?.[1]);
    expect(url).toBeDefined();
    expect((await fetch(`${url}/health`)).status).toBe(200);
    wrapper.kill("SIGKILL");
    let gone = false;
    for (let i = 0; i < 50 && !gone; i++) {
      await new Promise((r) => setTimeout(r, 100));
      gone = !alive(pid);
    }
    if (!gone) process.kill(pid, "SIGKILL");
    expect(gone).toBe(true);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  }, 30_000);
});
