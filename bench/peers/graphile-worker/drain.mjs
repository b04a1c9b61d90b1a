// graphile-worker drains N no-op jobs with one process: the peer figure for Conveyor's `bench drain --store postgres`,
// run by `bench compare` (or by hand):
//   npm ci && DATABASE_URL=postgres://postgres@127.0.0.1:PORT/DB JOBS=20000 CONCURRENCY=24 BATCHED=1 node drain.mjs
// The jobs are bulk-inserted with one addJobs call (graphile_worker.add_jobs) before the clock starts, and that call is
// timed too (the bulk enqueue figure); the drain clock covers runner start to the last job's completion being written
// (runner.stop() flushes the batched completions).
import { run, makeWorkerUtils, Logger } from "graphile-worker";

// Errors only: a line per job on stdout would be what is measured (Conveyor's bench logs warnings and up).
const logger = new Logger(() => (level, message) => {
  if (level === "error") console.error(message);
});

const connectionString = process.env.DATABASE_URL;
const jobs = Number(process.env.JOBS ?? 20000);
const concurrency = Number(process.env.CONCURRENCY ?? 24);
const runs = Number(process.env.RUNS ?? 1);
// BATCHED=1: the settings of graphile-worker's own perfTest for throughput: a local queue of 500 jobs refetched after
// 10 ms, completions and failures batched with no delay.
const batched = process.env.BATCHED === "1";
const batchedPreset = {
  worker: {
    localQueue: { size: 500, refetchDelay: { durationMs: 10 } },
    completeJobBatchDelay: 0,
    failJobBatchDelay: 0,
  },
};

for (let r = 0; r < runs; r++) {
  const utils = await makeWorkerUtils({ connectionString, logger });
  await utils.migrate();
  const specs = Array.from({ length: jobs }, () => ({ identifier: "noop", payload: {} }));
  const enqueueStarted = performance.now();
  await utils.addJobs(specs);
  const enqueueSeconds = (performance.now() - enqueueStarted) / 1000;
  await utils.release();

  let done = 0;
  let finish;
  const finished = new Promise((resolve) => (finish = resolve));
  const started = performance.now();
  const runner = await run({
    connectionString,
    concurrency,
    noHandleSignals: true,
    logger,
    pollInterval: 1000,
    ...(batched ? { preset: batchedPreset } : {}),
    taskList: {
      noop: async () => {
        if (++done === jobs) finish();
      },
    },
  });
  await finished;
  await runner.stop();
  const seconds = (performance.now() - started) / 1000;
  const { rows } = await (async () => {
    const check = await makeWorkerUtils({ connectionString, logger });
    try {
      return await check.withPgClient((client) => client.query("SELECT count(*)::int AS left FROM graphile_worker.jobs"));
    } finally {
      await check.release();
    }
  })();
  if (rows[0].left !== 0) throw new Error(`${rows[0].left} jobs left in graphile_worker.jobs after the drain`);
  console.log(`drain graphile-worker: ${jobs} jobs in ${seconds.toFixed(3)} s = ${Math.round(jobs / seconds)} jobs/s (enqueue ${Math.round(jobs / enqueueSeconds)} jobs/s; concurrency ${concurrency}${batched ? ", batched" : ""})`);
}
