// Child process: run the full load of a prechecked, structured full+incremental task whose store
// never returns from the write that records the database's slot, so the parent can SIGKILL it
// between the slot's creation and that store write. Args: taskId targetUrl.
import { openTask, pgStore } from '../../src/index.js'
import type { ProgressStore } from '../../src/model/progress-store.js'
import { LOADED_DATABASE_KIND } from '../../src/fullload/load-progress.js'

const [id, targetUrl] = process.argv.slice(2) as [string, string]
const inner = pgStore(targetUrl)
const putProgress: ProgressStore['putProgress'] = async (taskId, entries) => {
  if (entries.some((e) => e.kind === LOADED_DATABASE_KIND)) {
    console.log('SLOT_CREATED')
    await new Promise(() => undefined)
  }
  return inner.putProgress(taskId, entries)
}
// PgStore keeps #private state: every other method runs bound to the real store
const store = new Proxy(inner, {
  get: (target, key) => {
    if (key === 'putProgress') return putProgress
    const v: unknown = Reflect.get(target, key, target)
    return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
  },
}) as ProgressStore
const task = await openTask(id, { store })
await task.fullLoad()
console.log('FINISHED')
