/**
 * Type fidelity through every data path, for one version pair: the fixture's rows through the full
 * load (COPY, in whichever format pgferry picks), then through the sync as INSERTs, UPDATEs that
 * move every value to another row, DELETEs and a key change, then complete. After each step the
 * target prints every column exactly as the source does.
 */
import { expect } from 'vitest'
import type { ClusterPair } from './cluster.js'
import { eventually, loadedTask } from './incremental-fixture.js'
import {
  TYPE_TABLES,
  typeColumns,
  typeFidelityRowCount,
  typeFidelityRows,
  typeFidelitySchema,
  typeTexts,
} from './type-fidelity-fixture.js'

export async function typeFidelity(pair: ClusterPair): Promise<void> {
  const major = pair.source.major
  const db = await pair.source.createDatabase('types')
  await pair.source.query(typeFidelitySchema(major), [], db)
  await pair.source.query(typeFidelityRows(major, 0), [], db)
  const task = await loadedTask(pair, db)
  try {
    const afterLoad = await typeTexts(pair.source, db, major)
    expect(await typeTexts(pair.target, db, major)).toEqual(afterLoad)
    // verify's canonical row text hashes every type the same on both majors
    const verified = await task.verify({ chunkRows: 3 })
    expect(verified.tables.flatMap((t) => t.differences)).toEqual([])
    expect(verified.equal).toBe(true)
    expect(verified.tables.length).toBeGreaterThanOrEqual(TYPE_TABLES.length)

    const sync = await task.startIncremental()
    const n = typeFidelityRowCount(major)
    const w = await pair.source.client(db)
    try {
      // inserts: the same values again, under new ids
      await w.query(typeFidelityRows(major, 100))
      for (const table of TYPE_TABLES) {
        // updates: every row of the first run takes the next row's values (the all-NULL row and
        // the empty-array row included), so each value also travels as an UPDATE's new tuple
        const cols = typeColumns(major, table).join(', ')
        await w.query(
          `UPDATE ${table} t SET (${cols}) = (SELECT ${cols} FROM ${table} s WHERE s.id = t.id % ${n} + 1)
            WHERE t.id <= ${n}`,
        )
        // a key change and deletes
        await w.query(`UPDATE ${table} SET id = 1000 WHERE id = 102`)
        await w.query(`DELETE FROM ${table} WHERE id IN (2, 103)`)
      }
      await w.query(`INSERT INTO tf_mark VALUES (1)`)
    } finally {
      await w.end()
    }
    await eventually(
      async () => (await pair.target.query(`SELECT 1 FROM tf_mark`, [], db)).rowCount === 1,
      120_000,
    )
    const afterSync = await typeTexts(pair.source, db, major)
    expect(afterSync).not.toEqual(afterLoad)
    expect(await typeTexts(pair.target, db, major)).toEqual(afterSync)

    await task.complete()
    await sync.done
    expect(task.state).toBe('completed')
    expect(await typeTexts(pair.target, db, major)).toEqual(afterSync)
  } finally {
    await task.close()
  }
}
