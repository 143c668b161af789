// Child process: reopen a task by id from the target store, run its precheck, print the state.
import { openTask } from '../../src/index.js'

const [id, targetUrl] = process.argv.slice(2) as [string, string]
const task = await openTask(id, { target: targetUrl, source: { password: 'source-pw-123' } })
const report = await task.precheck()
console.log(`STATE ${task.state} OK ${report.ok} NAME ${task.config.name}`)
await task.close()
