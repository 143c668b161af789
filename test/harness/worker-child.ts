// Child process: a full-load worker (startWorker) on the queue at argv[2], one job at a time,
// printing a line per job event so the parent knows which worker holds what. Ends on SIGTERM.
import { startWorker } from '../../src/index.js'

const [queue, concurrency] = process.argv.slice(2) as [string, string | undefined]
const worker = await startWorker({
  queue,
  concurrency: Number(concurrency ?? 1),
  maintenanceSeconds: 1,
})
worker.on('worker:job', (e) => console.log(`JOB ${e.state} ${e.taskId} ${e.kind} ${e.name}`))
worker.on('warning', (e) => console.log(`WARNING ${e.code} ${e.message}`))
process.once('SIGTERM', () => {
  void worker.stop().then(() => process.exit(0))
})
console.log(`READY ${worker.id}`)
