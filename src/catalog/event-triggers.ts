/**
 * Event triggers of the current database, one query. Versions ≥ 10.
 */
import type pg from 'pg'

/** One event trigger. */
export interface EventTriggerInfo {
  readonly oid: number
  readonly name: string
  readonly event: string
  readonly owner: string
  readonly function: number
  /** The function as `quote_ident(schema).quote_ident(name)`. */
  readonly functionSchema: string
  readonly functionName: string
  readonly tags: readonly string[] | null
  /** `O` origin, `D` disabled, `R` replica, `A` always. */
  readonly enabled: string
}

/** Read the event triggers that no extension owns. */
export async function readEventTriggers(client: pg.Client): Promise<EventTriggerInfo[]> {
  const r = await client.query<{
    oid: number
    name: string
    event: string
    owner: string
    fn: number
    fn_schema: string
    fn_name: string
    tags: string[] | null
    enabled: string
  }>(
    `SELECT t.oid::int8::float8 AS oid, t.evtname AS name, t.evtevent AS event, pg_get_userbyid(t.evtowner) AS owner,
            t.evtfoid::int8::float8 AS fn, n.nspname AS fn_schema, p.proname AS fn_name,
            t.evttags::text[] AS tags, t.evtenabled::text AS enabled
       FROM pg_event_trigger t JOIN pg_proc p ON p.oid = t.evtfoid JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_event_trigger'::regclass AND e.objid = t.oid AND e.deptype = 'e')
      ORDER BY t.evtname`,
  )
  return r.rows.map((x) => ({
    oid: x.oid,
    name: x.name,
    event: x.event,
    owner: x.owner,
    function: x.fn,
    functionSchema: x.fn_schema,
    functionName: x.fn_name,
    tags: x.tags,
    enabled: x.enabled,
  }))
}
