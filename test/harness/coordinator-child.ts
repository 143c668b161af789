// Child process: the coordinator of a full load with workers (issue 15), to be SIGKILLed mid-load.
// Args: taskId sourceUrl targetUrl sourceDb targetDb queueUrl. Prints STARTED, then a line per
// job a worker claimed (`CLAIMED <worker> <name>`), then FINISHED.
import { createTask } from '../../src/index.js'
import { readyForFullLoad } from './fullload-suite.js'
import { saveScalePlan, scaleTask } from './scale-fixture.js'

const [id, sourceUrl, targetUrl, sdb, tdb, queueUrl] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
  string,
]
const task = await createTask(scaleTask(id, sourceUrl, targetUrl, sdb, tdb, queueUrl))
await readyForFullLoad(task)
await saveScalePlan(task.store, task.id, sourceUrl, sdb, tdb)
task.on('worker:job', (e) => {
  if (e.state === 'claimed') console.log(`CLAIMED ${e.worker} ${e.name}`)
})
console.log('STARTED')
await task.fullLoad()
console.log('FINISHED')
await task.close()
