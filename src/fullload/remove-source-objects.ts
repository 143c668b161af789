/**
 * Remove what the store's source-object records name (store/source-objects.ts), in the order that
 * never harms the source: the slot first (no walsender reads the publication any more), then the
 * publication (no table is published any more), then the replica identities pgferry set, back to
 * what they were. Each record is forgotten once its object is gone, so a crash part way leaves the
 * rest recorded; running it again is harmless.
 *
 * It opens its own connection rather than the stage's `ctx.connect`, which refuses once the
 * stage is aborted: an aborted slot creation must still drop the publication it left.
 */
import type pg from 'pg'
import { PgferryError } from '../errors.js'
import { openClient } from '../pg/connect.js'
import { quoteIdent } from '../pg/quote.js'
import { alterReplicaIdentity } from './alter-replica-identity.js'
import type { ProgressStore } from '../model/progress-store.js'
import {
  forgetSourceObject,
  readSourceObjects,
  type SourceObject,
} from '../store/source-objects.js'
import type { ResolvedConnection } from '../model/resolved-connection.js'
import { dropSlot, slotExists } from './snapshot.js'
import type { StageContext } from '../model/stage.js'
import type { LoadedDatabase } from './load-progress.js'

/** What was there to remove. */
export interface RemovedSourceObjects {
  readonly slots: number
  readonly publications: number
  readonly identities: number
}

const ORDER: Readonly<Record<SourceObject['kind'], number>> = {
  slot: 0,
  publication: 1,
  'replica-identity': 2,
}

/**
 * Remove every recorded source object of `database` (of every database when undefined). A
 * database that no longer exists has nothing left to remove: its records are forgotten.
 */
export async function removeSourceObjects(
  source: ResolvedConnection,
  store: ProgressStore,
  taskId: string,
  database?: string,
): Promise<RemovedSourceObjects> {
  const objects = await readSourceObjects(store, taskId, database)
  const byDb = new Map<string, SourceObject[]>()
  for (const o of objects) byDb.set(o.database, [...(byDb.get(o.database) ?? []), o])
  const out = { slots: 0, publications: 0, identities: 0 }
  let failed: unknown
  for (const [db, list] of byDb) {
    const client = await openClient(source, 'source', { database: db }).catch((error: unknown) => {
      if (error instanceof PgferryError && error.code === 'PGFERRY_CONNECT_DATABASE_MISSING')
        return undefined
      throw error
    })
    try {
      for (const o of [...list].sort((a, b) => ORDER[a.kind] - ORDER[b.kind])) {
        try {
          if (client !== undefined && (await removeOne(client, o))) {
            if (o.kind === 'slot') out.slots++
            else if (o.kind === 'publication') out.publications++
            else out.identities++
          }
          await forgetSourceObject(store, taskId, o)
        } catch (error) {
          // the rest is still removed; this one stays recorded for the next attempt
          failed ??= error
        }
      }
    } finally {
      await client?.end().catch(() => undefined)
    }
  }
  if (failed !== undefined) throw failed
  return out
}

/** Remove one object; whether it was there. */
async function removeOne(client: pg.Client, o: SourceObject): Promise<boolean> {
  switch (o.kind) {
    case 'slot': {
      if (!(await slotExists(client, o.name))) return false
      await dropSlot(client, o.name)
      return true
    }
    case 'publication': {
      const r = await client.query(`SELECT 1 FROM pg_publication WHERE pubname = $1`, [o.name])
      await client.query(`DROP PUBLICATION IF EXISTS ${quoteIdent(o.name)}`)
      return (r.rowCount ?? 0) > 0
    }
    case 'replica-identity': {
      // Only what pgferry set: an identity someone changed since (or a table dropped) is left alone.
      const r = await client.query<{ schema: string; name: string }>(
        `SELECT n.nspname AS schema, c.relname AS name
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.oid = $1::int8::oid AND c.relreplident = 'f'`,
        [o.oid],
      )
      const t = r.rows[0]
      if (t === undefined) return false
      const to = o.original === 'd' ? 'DEFAULT' : 'NOTHING'
      await alterReplicaIdentity(client, o.database, t.schema, t.name, to)
      return true
    }
  }
}

/**
 * Remove a database's slot and publication as its load recorded them in `info`, for tasks whose
 * objects predate the source-object records. A publication the DBA made (task option
 * `publication`) is theirs: never dropped. Returns what was there.
 */
export async function removeLoadedObjects(
  ctx: StageContext,
  info: LoadedDatabase,
): Promise<{ slot: boolean; publication: boolean }> {
  const own = info.publication !== null && info.publication !== ctx.config.publication
  if (info.slot === null && !own) return { slot: false, publication: false }
  const src = await ctx.connect('source', { database: info.sourceDatabase })
  try {
    let slot = false
    if (info.slot !== null && (await slotExists(src, info.slot))) {
      await dropSlot(src, info.slot)
      slot = true
    }
    let publication = false
    if (own && info.publication !== null) {
      const r = await src.query(`SELECT 1 FROM pg_publication WHERE pubname = $1`, [
        info.publication,
      ])
      publication = (r.rowCount ?? 0) > 0
      await src.query(`DROP PUBLICATION IF EXISTS ${quoteIdent(info.publication)}`)
    }
    return { slot, publication }
  } finally {
    await src.end().catch(() => undefined)
  }
}
