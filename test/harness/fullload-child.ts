// Child process: create a full-load task and run it, printing a line per committed chunk, so the
// parent can SIGKILL it mid-load. Args: taskId type sourceUrl targetUrl sourceDb targetDb
// [freezeAfterChunks]. With the last argument the child stops dead after that many committed chunks
// (prints FROZEN and blocks its thread): the load is then certainly unfinished when the parent's
// SIGKILL lands, however slow the machine is, instead of racing the parent for it.
import { createTask } from '../../src/index.js'
import type { MigrationType } from '../../src/model/task-config.js'
import { readyForFullLoad } from './fullload-suite.js'
import { savePlan } from './fullload-fixture.js'
import type { Cluster } from './cluster.js'
import pg from 'pg'

const [id, type, sourceUrl, targetUrl, sdb, tdb, freezeAfter] = process.argv.slice(2) as [
  string,
  MigrationType,
  string,
  string,
  string,
  string,
  string | undefined,
]
const task = await createTask({
  id,
  name: 'killed mid-load',
  source: sourceUrl,
  target: targetUrl,
  type,
  objects: { databases: { [sdb]: { as: tdb } } },
  parallelism: 2,
  splitTablesLargerThan: 1_000_000,
  throttle: { bytesPerSecond: 3_000_000 },
})
await readyForFullLoad(task)
// savePlan only needs query() on the source
const source = {
  query: async (sql: string, params: unknown[]) => {
    const c = new pg.Client(sourceUrl)
    await c.connect()
    try {
      return await c.query(sql, params)
    } finally {
      await c.end()
    }
  },
} as unknown as Cluster
await savePlan(task.store, task.id, source, sdb, tdb)
let committed = 0
task.on('chunk:progress', (e) => {
  if (!e.done) return
  console.log(`CHUNK ${e.table} ${e.chunk}`)
  if (++committed === Number(freezeAfter)) {
    // stdout is a pipe, written synchronously on Linux: the line is out before the thread blocks
    console.log('FROZEN')
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0)
  }
})
console.log('STARTED')
await task.fullLoad()
console.log('FINISHED')
await task.close()
