// Child process: reopen a loaded full+incremental task and run its incremental sync, printing a
// line per committed apply batch, so the parent can SIGKILL it mid-apply. Args: taskId targetUrl.
import { openTask } from '../../src/index.js'

const [id, targetUrl] = process.argv.slice(2) as [string, string]
// PGFERRY_TEST_BEAT_MS: a short lease heartbeat, for tests that read what the beats carry
const beat = process.env.PGFERRY_TEST_BEAT_MS
const task = await openTask(id, {
  target: targetUrl,
  ...(beat === undefined ? {} : { lease: { beatIntervalMs: Number(beat) } }),
})
task.on('apply:batch', (e) => console.log(`BATCH ${e.commitLsn} ${e.rows}`))
await task.startIncremental()
console.log('STREAMING')
// runs until killed
await new Promise(() => undefined)
