/**
 * Large objects of a source database: oid, owner and ACL (pg_largeobject_metadata, v9.0+).
 */
import type pg from 'pg'

/** One large object's metadata. */
export interface LargeObjectInfo {
  readonly oid: number
  readonly owner: string
  /** `aclitem` entries as text (`grantee=rw/grantor`), or undefined for the default ACL. */
  readonly acl: readonly string[] | undefined
}

/** Every large object of the connected database (in the caller's snapshot, if one is set). */
export async function readLargeObjects(client: pg.Client): Promise<LargeObjectInfo[]> {
  const r = await client.query<{ oid: string; owner: string; acl: string[] | null }>(
    `SELECT m.oid::int8::text AS oid, pg_get_userbyid(m.lomowner) AS owner, m.lomacl::text[] AS acl
       FROM pg_largeobject_metadata m ORDER BY m.oid`,
  )
  return r.rows.map((x) => ({ oid: Number(x.oid), owner: x.owner, acl: x.acl ?? undefined }))
}
