// HTTP backend benchmark (`npx tsx tools/bench/openai-bench.ts [--requests 1000] [--concurrency 32] [--delay-ms 20]`):
// sends requests through OpenAIBackend to the fake OpenAI server on 127.0.0.1 and prints requests/s and the in-flight
// count it kept, beside the ceiling the server's latency allows (concurrency / latency). The fake servers run in a
// worker thread, so their parsing and JSON cost does not sit on the client's event loop (it still shares the CPUs).
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { intInRange } from "../../src/cli-common.js";
import Table from "cli-table3";
import { Command } from "commander";
import { FakeOpenAIServer, sampleText } from "../../test/support/fake-openai-server.js";
import { OpenAIBackend } from "../../src/backends/openai.js";
import type { GenerationRequest } from "../../src/backends/types.js";

interface ServerThreadData {
  servers: number;
  delayMs: number;
}

/** Worker side: starts the fake servers, posts their URLs, answers "stats" with their max in-flight, closes on "close". */
async function serverThread({ servers: count, delayMs }: ServerThreadData): Promise<void> {
  const servers = await Promise.all(
    Array.from({ length: count }, () =>
      FakeOpenAIServer.start({
        script: (r) => ({
          kind: "complete",
          choices: Array.from({ length: r.n }, (_, j) => ({ text: sampleText(r.prompt, r.seed + j), finishReason: "stop" })),
          delayMs,
        }),
      }),
    ),
  );
  parentPort!.on("message", async (m: string) => {
    if (m === "stats") parentPort!.postMessage({ maxInFlight: Math.max(...servers.map((s) => s.maxInFlight)) });
    if (m === "close") {
      await Promise.all(servers.map((s) => s.close()));
      parentPort!.close();
    }
  });
  parentPort!.postMessage({ urls: servers.map((s) => s.url) });
}

if (!isMainThread) {
  void serverThread(workerData as ServerThreadData);
} else {
  mainThread();
}

function mainThread(): void {
  const program = new Command("openai-bench")
    .description("Throughput and in-flight requests of the OpenAI-compatible backend against a local fake server.")
    .option("--requests <n>", "requests to send", intInRange("--requests", 1), 1000)
    .option("--concurrency <n>", "backend concurrency limit (requests in flight)", intInRange("--concurrency", 1), 32)
    .option("--delay-ms <ms>", "server-side latency per request (stands in for generation time)", intInRange("--delay-ms", 0), 20)
    .option("--servers <n>", "fake servers to balance over", intInRange("--servers", 1), 1)
    .option("--strict", "exit 1 unless the backend kept --concurrency requests in flight");
  program.parse();
  const o = program.opts<{ requests: number; concurrency: number; delayMs: number; servers: number; strict?: boolean }>();

  async function run(): Promise<number> {
    const worker = new Worker(new URL(import.meta.url), { workerData: { servers: o.servers, delayMs: o.delayMs } satisfies ServerThreadData });
    const ask = <T>(msg?: string): Promise<T> =>
      new Promise((resolve, reject) => {
        worker.once("message", resolve);
        worker.once("error", reject);
        if (msg) worker.postMessage(msg);
      });
    const { urls } = await ask<{ urls: string[] }>();
    const backend = await OpenAIBackend.open({ baseUrls: urls, concurrency: o.concurrency, timeoutMs: 60_000 });
    const req = (i: number): GenerationRequest => ({
      problemId: `bench/${i}`,
      question: `q${i}`,
      prompt: `<｜User｜>Solve problem ${i}.<｜Assistant｜><think>\n`,
      messages: [{ role: "user", content: `Solve problem ${i}.` }],
      sampleIndices: [0],
      params: { temperature: 0.6, topP: 0.95, maxNewTokens: 1024, seed: 1234 },
    });
    // Time-weighted in-flight: sampled every millisecond while the requests run.
    let samples = 0;
    let sum = 0;
    const sampler = setInterval(() => {
      samples++;
      sum += backend.stats().inFlight;
    }, 1);
    let done = 0;
    const t0 = performance.now();
    const progress = setInterval(() => process.stderr.write(`\r${done}/${o.requests} requests`), 250);
    try {
      // Every request is handed over at once: the backend's semaphore alone must hold the in-flight count.
      await Promise.all(
        Array.from({ length: o.requests }, (_, i) =>
          backend.generate(req(i)).then((g) => {
            if (g.length !== 1) throw new Error(`request ${i}: ${g.length} generations`);
            done++;
          }),
        ),
      );
    } finally {
      clearInterval(sampler);
      clearInterval(progress);
      process.stderr.write(`\r${done}/${o.requests} requests\n`);
    }
    const seconds = (performance.now() - t0) / 1000;
    const stats = backend.stats();
    await backend.close();
    const { maxInFlight: serverMax } = await ask<{ maxInFlight: number }>("stats");
    worker.postMessage("close");
    const rate = o.requests / seconds;
    const meanInFlight = samples ? sum / samples : 0;
    const ceiling = o.delayMs > 0 ? (o.concurrency / o.delayMs) * 1000 : Number.POSITIVE_INFINITY;
    const table = new Table({ head: ["measure", "value", "target / ceiling"], style: { head: [], border: [] } });
    table.push(
      ["requests", String(o.requests), ""],
      ["concurrency limit", String(o.concurrency), ""],
      ["server latency", `${o.delayMs} ms`, ""],
      ["wall time", `${seconds.toFixed(2)} s`, ""],
      ["requests/s", rate.toFixed(0), Number.isFinite(ceiling) ? `${ceiling.toFixed(0)} (concurrency / latency); ${((rate / ceiling) * 100).toFixed(0)} %` : "-"],
      ["max in flight (backend)", String(stats.maxInFlight), `= ${o.concurrency}`],
      ["max in flight (busiest server)", String(serverMax), `<= ${o.concurrency}`],
      ["mean in flight (1 ms samples)", meanInFlight.toFixed(1), `~ ${o.concurrency}`],
      ["retries", String(stats.retries), "0"],
    );
    if (o.servers > 1) table.push(["per server", stats.perUrl.map((u) => u.requests).join(" / "), "balanced"]);
    process.stdout.write(`${table.toString()}\n`);
    const kept = stats.maxInFlight === Math.min(o.concurrency, o.requests) && serverMax <= o.concurrency;
    if (!kept) process.stdout.write(`MISSED: the backend did not keep exactly ${o.concurrency} requests in flight\n`);
    return o.strict && !kept ? 1 : 0;
  }

  run().then(
    (code) => {
      process.exitCode = code;
    },
    (e: Error) => {
      process.stderr.write(`openai-bench: ${e.message}\n`);
      process.exitCode = 1;
    },
  );
}
