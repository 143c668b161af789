/**
 * The store's typed records: a built-in kind's values are read with their type and checked on the
 * way in (they are JSON another process, perhaps an older pgferry, wrote): a record of another shape
 * is a clear error naming kind, key and field, not a silent cast.
 */
import { describe, expect, it } from 'vitest'
import { MemoryStore } from '../../src/store/memory-store.js'
import { readProgress } from '../../src/store/progress-records.js'
import { readLoadProgress } from '../../src/fullload/load-progress.js'
import { readManifests } from '../../src/manifest/manifest-store.js'
import { PROGRESS_KINDS } from '../../src/model/progress-kinds.js'

const loaded = {
  sourceDatabase: 'app',
  targetDatabase: 'app2',
  slot: 'pgferry_x',
  publication: 'pgferry_x',
  consistentPoint: '0/16B3748',
  complete: true,
}

describe('typed progress records', () => {
  it('reads a built-in kind with its value type', async () => {
    const store = new MemoryStore()
    await store.putProgress('t', [
      { kind: PROGRESS_KINDS.loadedDatabase, key: 'app', value: loaded },
      { kind: PROGRESS_KINDS.complete, key: 'app/drained', value: { fence: '0/1', at: 'now' } },
    ])
    const dbs = await readLoadProgress(store, 't')
    expect(dbs.databases.get('app')?.targetDatabase).toBe('app2')
    const marks = await readProgress(store, 't', PROGRESS_KINDS.complete)
    expect(marks.map((m) => m.value)).toEqual([{ fence: '0/1', at: 'now' }])
  })

  it('a stored value of another shape fails naming the kind, the key and the field', async () => {
    const store = new MemoryStore()
    await store.putProgress('t', [
      {
        kind: PROGRESS_KINDS.loadedDatabase,
        key: 'app',
        value: { ...loaded, consistentPoint: 42 },
      },
    ])
    const error = await readLoadProgress(store, 't').catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'PGFERRY_STORE_RECORD_INVALID' })
    expect((error as Error).message).toContain('fullload-database record "app"')
    expect((error as Error).message).toContain('consistentPoint')
  })

  it('a manifest of another record format is refused, not read as this one', async () => {
    const store = new MemoryStore()
    await store.putProgress('t', [
      { kind: PROGRESS_KINDS.manifest, key: 'app', value: { format: 2, relations: [] } },
    ])
    await expect(readManifests(store, 't')).rejects.toMatchObject({
      code: 'PGFERRY_STORE_RECORD_INVALID',
      message: expect.stringContaining('format (2, this pgferry reads 1)'),
    })
  })
})
