// Child process: create a full-load task and run it, printing a line per committed chunk, so the
// parent can SIGKILL it mid-load. Args: taskId type sourceUrl targetUrl sourceDb targetDb.
import { createTask } from '../../src/index.js'
import type { MigrationType } from '../../src/task/task-config.js'
import { readyForFullLoad } from './fullload-suite.js'
import { savePlan } from './fullload-fixture.js'
import type { Cluster } from './cluster.js'
import pg from 'pg'

const [id, type, sourceUrl, targetUrl, sdb, tdb] = process.argv.slice(2) as [
  string,
  MigrationType,
  string,
  string,
  string,
  string,
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
task.on('chunk:progress', (e) => {
  if (e.done) console.log(`CHUNK ${e.table} ${e.chunk}`)
})
console.log('STARTED')
await task.fullLoad()
console.log('FINISHED')
await task.close()
