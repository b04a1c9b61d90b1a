// graphile-worker drains N no-op jobs with one process: the peer figure for Conveyor's `drain --store postgres`.
//   npm install && DATABASE_URL=postgres://postgres@127.0.0.1:PORT/DB JOBS=20000 CONCURRENCY=64 node drain.mjs
// Jobs are bulk-inserted in one statement before the clock starts; the clock covers runner start to the last job.
import { run, makeWorkerUtils } from "graphile-worker";

const connectionString = process.env.DATABASE_URL;
const jobs = Number(process.env.JOBS ?? 20000);
const concurrency = Number(process.env.CONCURRENCY ?? 64);
const runs = Number(process.env.RUNS ?? 3);
// BATCHED=1: graphile-worker's documented throughput settings (a local queue of concurrency+1 jobs, batched completions).
const batched = process.env.BATCHED === "1";

for (let r = 0; r < runs; r++) {
  const utils = await makeWorkerUtils({ connectionString });
  await utils.migrate();
  await utils.withPgClient((client) =>
    client.query("SELECT graphile_worker.add_job('noop', '{}'::json) FROM generate_series(1, $1)", [jobs]),
  );
  await utils.release();

  let done = 0;
  let finish;
  const finished = new Promise((resolve) => (finish = resolve));
  const started = performance.now();
  const runner = await run({
    connectionString,
    concurrency,
    noHandleSignals: true,
    pollInterval: 1000,
    ...(batched ? { preset: { worker: { localQueue: { size: concurrency + 1 }, completeJobBatchDelay: 0 } } } : {}),
    taskList: {
      noop: async () => {
        if (++done === jobs) finish();
      },
    },
  });
  await finished;
  await runner.stop();
  const seconds = (performance.now() - started) / 1000;
  console.log(`drain graphile-worker: ${jobs} jobs in ${seconds.toFixed(3)} s = ${Math.round(jobs / seconds)} jobs/s (concurrency ${concurrency}${batched ? ", local queue + batched completions" : ""})`);
}
