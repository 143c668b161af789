/**
 * Large objects are not rows of a user table, so COPY does not carry them; they are copied with
 * their oids preserved (columns of type `oid` / `lo` keep pointing at them), their owner (when the
 * role exists on the target) and their ACL, read in 1 MB pieces under the load's snapshot (the
 * caller's transaction).
 * Idempotent: an object already on the target is replaced.
 */
import type pg from 'pg'
import { readLargeObjects } from '../catalog/large-objects.js'
import { quoteIdent } from '../pg/quote.js'

const PIECE = 1024 * 1024

/** What was copied. */
export interface LargeObjectsOutcome {
  readonly count: number
  readonly bytes: number
}

/** Copy every large object; `source` is inside a transaction that imported the snapshot. */
export async function copyLargeObjects(
  source: pg.Client,
  target: pg.Client,
  warn: (message: string) => void,
): Promise<LargeObjectsOutcome> {
  const objects = await readLargeObjects(source)
  if (objects.length === 0) return { count: 0, bytes: 0 }
  const roles = new Set(
    (await target.query<{ rolname: string }>('SELECT rolname FROM pg_roles')).rows.map(
      (r) => r.rolname,
    ),
  )
  let bytes = 0
  for (const lo of objects) {
    await target.query('BEGIN')
    try {
      await target.query(
        'SELECT lo_unlink(oid) FROM pg_largeobject_metadata WHERE oid = $1::int8::oid',
        [lo.oid],
      )
      await target.query('SELECT lo_create($1::int8::oid)', [lo.oid])
      for (let offset = 0; ; offset += PIECE) {
        const r = await source.query<{ b: Buffer }>(
          'SELECT lo_get($1::int8::oid, $2::int8, $3) AS b',
          [lo.oid, offset, PIECE],
        )
        const piece = r.rows[0]?.b
        if (piece === undefined || piece.length === 0) break
        await target.query('SELECT lo_put($1::int8::oid, $2::int8, $3::bytea)', [
          lo.oid,
          offset,
          piece,
        ])
        bytes += piece.length
        if (piece.length < PIECE) break
      }
      if (roles.has(lo.owner)) {
        await target.query(`ALTER LARGE OBJECT ${lo.oid} OWNER TO ${quoteIdent(lo.owner)}`)
      } else {
        warn(`large object ${lo.oid}: owner role ${lo.owner} does not exist on the target`)
      }
      for (const item of lo.acl ?? []) {
        const m = /^(.*)=([a-zA-Z*]*)\/(.*)$/.exec(item)
        if (m === null) continue
        const grantee = unquoteRole(m[1] ?? '')
        const privs: string[] = []
        if (m[2]?.includes('r')) privs.push('SELECT')
        if (m[2]?.includes('w')) privs.push('UPDATE')
        if (privs.length === 0 || grantee === lo.owner) continue
        if (grantee !== '' && !roles.has(grantee)) {
          warn(`large object ${lo.oid}: grantee ${grantee} does not exist on the target`)
          continue
        }
        const to = grantee === '' ? 'PUBLIC' : quoteIdent(grantee)
        await target.query(`GRANT ${privs.join(', ')} ON LARGE OBJECT ${lo.oid} TO ${to}`)
      }
      await target.query('COMMIT')
    } catch (error) {
      await target.query('ROLLBACK').catch(() => undefined)
      throw error
    }
  }
  return { count: objects.length, bytes }
}

/** aclitem text quotes role names that need it, with `""` for a quote. */
function unquoteRole(s: string): string {
  return s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1).replace(/""/g, '"') : s
}
