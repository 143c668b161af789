/**
 * Issue 12: the task's manifest with its state is one typed view (manifest/manifest-state.ts) over
 * the store's records, and the cutover's marks change only through its two steps; and the target
 * ledger's place (model/target-ledger.ts) is resolved with the config from the store's schema,
 * stored with it, and read back by a reopened task.
 */
import { describe, expect, it } from 'vitest'
import { MemoryStore } from '../../src/store/memory-store.js'
import { PgStore } from '../../src/store/pg-store.js'
import { PROGRESS_KINDS, postDataDoneKey } from '../../src/model/progress-kinds.js'
import {
  markCutoverDone,
  markDrained,
  readManifestState,
} from '../../src/manifest/manifest-state.js'
import { databaseState, loadedDatabases } from '../../src/model/manifest-state.js'
import { toManifest } from '../../src/manifest/resolve-manifest.js'
import type { DatabaseObjects } from '../../src/model/manifest.js'
import { resolveConfig } from '../../src/task/resolve-config.js'
import { resolveConnection } from '../../src/task/resolve-connection.js'
import { deserializeConfig, serializeConfig } from '../../src/task/stored-config.js'
import { PgferryError } from '../../src/errors.js'
import type { TaskConfig } from '../../src/model/task-config.js'

function objects(name: string, as: string): DatabaseObjects {
  return {
    database: { name, as, schemas: undefined },
    schemas: [{ name: 'public', as: 'public' }],
    relations: [],
    functions: [],
    missing: [],
  }
}

const loaded = (db: string, target: string) => ({
  sourceDatabase: db,
  targetDatabase: target,
  slot: `slot_${db}`,
  publication: `pub_${db}`,
  consistentPoint: '0/16B3748',
  complete: true,
})

const table = (db: string, oid: number, syncLsn: string | null) => ({
  sourceDatabase: db,
  oid,
  schema: 'public',
  name: `t${oid}`,
  targetSchema: 'public',
  rows: 10,
  bytes: 100,
  syncLsn,
})

const step = (key: string) => ({
  key,
  kind: 'index',
  name: key,
  phase: 'post-data' as const,
  dependsOn: [],
  relations: [1],
  sql: ['SELECT 1'],
})

describe('readManifestState', () => {
  it('joins each database: manifest, load, tables with sync LSN, post-data plan and marks', async () => {
    const store = new MemoryStore()
    await store.putProgress('t', [
      { kind: PROGRESS_KINDS.manifest, key: 'b', value: toManifest(objects('b', 'b2'), 0, 's') },
      { kind: PROGRESS_KINDS.manifest, key: 'a', value: toManifest(objects('a', 'a2'), 1, 's') },
      { kind: PROGRESS_KINDS.loadedDatabase, key: 'a', value: loaded('a', 'a2') },
      { kind: PROGRESS_KINDS.loadedTable, key: 'a/7', value: table('a', 7, '0/5') },
      { kind: PROGRESS_KINDS.loadedTable, key: 'b/7', value: table('b', 7, null) },
      { kind: PROGRESS_KINDS.postDataPlan, key: 'a2', value: [step('i1'), step('i2')] },
      { kind: PROGRESS_KINDS.postDataDone, key: postDataDoneKey('a2', 'i1'), value: true },
      { kind: PROGRESS_KINDS.postDataDone, key: 'b2\u0000i2', value: true },
    ])
    await markDrained(store, 't', new Map([['a', '0/9']]))
    const state = await readManifestState(store, 't')
    // manifest order, not key order
    expect(state.databases.map((d) => d.database)).toEqual(['b', 'a'])
    const a = databaseState(state, 'a')
    expect(a?.targetDatabase).toBe('a2')
    expect(a?.load?.slot).toBe('slot_a')
    expect([...(a?.tables.entries() ?? [])].map(([oid, t]) => [oid, t.syncLsn])).toEqual([
      [7, '0/5'],
    ])
    expect(a?.postDataPlan?.map((s) => s.key)).toEqual(['i1', 'i2'])
    expect([...(a?.postDataDone ?? [])]).toEqual(['i1'])
    expect(a?.marks.drained?.fence).toBe('0/9')
    expect(a?.marks.done).toBeUndefined()
    const b = databaseState(state, 'b')
    expect(b?.load).toBeUndefined()
    expect(b?.tables.get(7)?.syncLsn).toBeNull()
    // a key written with the separator of an older pgferry is still read
    expect([...(b?.postDataDone ?? [])]).toEqual(['i2'])
    expect(loadedDatabases(state).map((d) => d.sourceDatabase)).toEqual(['a'])

    await markCutoverDone(store, 't', 'a')
    const after = databaseState(await readManifestState(store, 't'), 'a')
    expect(after?.marks.done).toEqual(expect.any(String))
    expect(after?.marks.drained?.fence).toBe('0/9')
  })

  it('a database the load recorded without a manifest (an older task) is in the view after the others', async () => {
    const store = new MemoryStore()
    await store.putProgress('t', [
      { kind: PROGRESS_KINDS.manifest, key: 'm', value: toManifest(objects('m', 'm'), 0, 's') },
      { kind: PROGRESS_KINDS.loadedDatabase, key: 'old', value: loaded('old', 'old_t') },
    ])
    const state = await readManifestState(store, 't')
    expect(
      state.databases.map((d) => [d.database, d.targetDatabase, d.manifest === undefined]),
    ).toEqual([
      ['m', 'm', false],
      ['old', 'old_t', true],
    ])
    expect((await readManifestState(store, 'other')).databases).toEqual([])
  })

  it('a stored record of another shape fails the view with the store error, not a cast', async () => {
    const store = new MemoryStore()
    await store.putProgress('t', [
      { kind: PROGRESS_KINDS.complete, key: 'a/drained', value: { fence: 42 } },
    ])
    await expect(readManifestState(store, 't')).rejects.toMatchObject({
      code: 'PGFERRY_STORE_RECORD_INVALID',
    })
  })
})

const base: TaskConfig = {
  name: 'ledger',
  source: 'postgres://alice@old:5432/shop',
  target: { host: 'new', user: 'admin', database: 'shop' },
  type: 'full+incremental',
}

describe("the target ledger's place", () => {
  it("is the store's schema: pgferry for the target and memory stores, a PgStore's own schema", () => {
    expect(resolveConfig({ ...base, store: 'memory' }).config.ledger).toEqual({ schema: 'pgferry' })
    expect(resolveConfig(base).config.ledger).toEqual({ schema: 'pgferry' })
    const store = new PgStore(resolveConnection(base.target, 'store'), { schema: 'ferry_x' })
    const { config } = resolveConfig({ ...base, store })
    expect(config.ledger).toEqual({ schema: 'ferry_x' })
    expect(Object.isFrozen(config.ledger)).toBe(true)
    // a caller's store without a schema name leaves it at pgferry
    expect(resolveConfig({ ...base, store: new MemoryStore() }).config.ledger.schema).toBe(
      'pgferry',
    )
  })

  it("a caller's store whose schemaName is not a name is refused, naming the store", () => {
    const store = Object.assign(new MemoryStore(), { schemaName: '' })
    let error: unknown
    try {
      resolveConfig({ ...base, store })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(PgferryError)
    expect((error as PgferryError).message).toContain('store')
    expect((error as PgferryError).fix).toContain('schemaName')
  })

  it('is stored with the config; a task stored before it was named reads pgferry', () => {
    const store = new PgStore(resolveConnection(base.target, 'store'), { schema: 'ferry_x' })
    const { config } = resolveConfig({ ...base, store })
    const stored = JSON.parse(JSON.stringify(serializeConfig(config))) as Record<string, unknown>
    expect(deserializeConfig(stored, {}).ledger).toEqual({ schema: 'ferry_x' })
    const { ledger: _, ...older } = stored
    expect(deserializeConfig(older, {}).ledger).toEqual({ schema: 'pgferry' })
  })
})
