/**
 * Definitions of functions, procedures and aggregates, one query per kind. Versions ≥ 11 for
 * procedures (`prokind`); aggregates read `pg_aggregate` columns present since 9.6.
 */
import type pg from 'pg'

/** A function or procedure, with the server's own `CREATE OR REPLACE` text. */
export interface FunctionInfo {
  readonly oid: number
  readonly owner: string
  readonly language: string
  /** `pg_get_functiondef(oid)`. */
  readonly definition: string
  /** Created by another object (a range type's constructors): not created on its own. */
  readonly internal: boolean
  /** The exact head `pg_get_functiondef` writes, `CREATE OR REPLACE FUNCTION s.f(`, to swap in the target name. */
  readonly head: string
}

/** An aggregate's parts (`pg_get_functiondef` does not handle aggregates). */
export interface AggregateInfo {
  readonly oid: number
  readonly owner: string
  /** `n` normal, `o` ordered-set, `h` hypothetical-set. */
  readonly aggKind: string
  readonly transFn: string
  readonly stateType: string
  readonly stateSpace: number
  readonly finalFn: string | null
  readonly finalExtra: boolean
  readonly combineFn: string | null
  readonly serialFn: string | null
  readonly deserialFn: string | null
  readonly initCond: string | null
  readonly sortOp: string | null
  readonly parallel: string
  /** Moving-aggregate implementation (`MSFUNC` …), when defined. */
  readonly moving: {
    readonly transFn: string
    readonly invFn: string
    readonly stateType: string
    readonly stateSpace: number
    readonly finalFn: string | null
    readonly finalExtra: boolean
    readonly initCond: string | null
    readonly finalModify: string | null
  } | null
  /** `r` read-only, `s` shareable, `w` read-write (v11+; null before). */
  readonly finalModify: string | null
}

/** Read functions and procedures (not aggregates). */
export async function readFunctions(
  client: pg.Client,
  oids: readonly number[],
): Promise<FunctionInfo[]> {
  const r = await client.query<{
    oid: number
    owner: string
    language: string
    def: string
    head: string
    internal: boolean
  }>(
    `SELECT p.oid::int8::float8 AS oid, pg_get_userbyid(p.proowner) AS owner, l.lanname AS language,
            pg_get_functiondef(p.oid) AS def,
            'CREATE OR REPLACE ' || CASE WHEN p.prokind = 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END || ' '
              || quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' AS head,
            EXISTS (SELECT 1 FROM pg_depend i WHERE i.classid = 'pg_proc'::regclass AND i.objid = p.oid AND i.deptype = 'i') AS internal
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
      WHERE p.oid = ANY($1::oid[]) AND p.prokind <> 'a'`,
    [oids],
  )
  return r.rows.map((x) => ({
    oid: x.oid,
    owner: x.owner,
    language: x.language,
    definition: x.def,
    head: x.head,
    internal: x.internal,
  }))
}

/** A row of `readAggregates`' query. */
interface AggregateRow {
  oid: number
  owner: string
  kind: string
  trans: string
  stype: string
  sspace: number
  final: string | null
  final_extra: boolean
  combine: string | null
  serial: string | null
  deserial: string | null
  init: string | null
  sortop: string | null
  parallel: string
  msfunc: string | null
  minvfunc: string | null
  mstype: string | null
  msspace: number
  mfinal: string | null
  mfinal_extra: boolean
  minit: string | null
  modify: string | null
  mmodify: string | null
}

/** Read aggregates. Function names come out as `regproc` text (qualified unless on the search_path). */
export async function readAggregates(
  client: pg.Client,
  major: number,
  oids: readonly number[],
): Promise<AggregateInfo[]> {
  const modify =
    major >= 11
      ? `a.aggfinalmodify::text AS modify, a.aggmfinalmodify::text AS mmodify`
      : `NULL::text AS modify, NULL::text AS mmodify`
  const r = await client.query<AggregateRow>(
    `SELECT p.oid::int8::float8 AS oid, pg_get_userbyid(p.proowner) AS owner, a.aggkind::text AS kind,
            a.aggtransfn::regproc::text AS trans, format_type(a.aggtranstype, NULL) AS stype,
            a.aggtransspace AS sspace,
            NULLIF(a.aggfinalfn, 0)::regproc::text AS final, a.aggfinalextra AS final_extra,
            NULLIF(a.aggcombinefn, 0)::regproc::text AS combine,
            NULLIF(a.aggserialfn, 0)::regproc::text AS serial,
            NULLIF(a.aggdeserialfn, 0)::regproc::text AS deserial,
            a.agginitval AS init,
            NULLIF(a.aggsortop, 0)::regoper::text AS sortop,
            p.proparallel::text AS parallel,
            NULLIF(a.aggmtransfn, 0)::regproc::text AS msfunc, NULLIF(a.aggminvtransfn, 0)::regproc::text AS minvfunc,
            CASE WHEN a.aggmtranstype <> 0 THEN format_type(a.aggmtranstype, NULL) END AS mstype,
            a.aggmtransspace AS msspace, NULLIF(a.aggmfinalfn, 0)::regproc::text AS mfinal,
            a.aggmfinalextra AS mfinal_extra, a.aggminitval AS minit, ${modify}
       FROM pg_proc p JOIN pg_aggregate a ON a.aggfnoid = p.oid
      WHERE p.oid = ANY($1::oid[])`,
    [oids],
  )
  return r.rows.map(toAggregate)
}

function toAggregate(x: AggregateRow): AggregateInfo {
  return {
    oid: x.oid,
    owner: x.owner,
    aggKind: x.kind,
    transFn: x.trans,
    stateType: x.stype,
    stateSpace: x.sspace,
    finalFn: x.final,
    finalExtra: x.final_extra,
    combineFn: x.combine,
    serialFn: x.serial,
    deserialFn: x.deserial,
    initCond: x.init,
    sortOp: x.sortop,
    parallel: x.parallel,
    moving:
      x.msfunc === null || x.minvfunc === null || x.mstype === null
        ? null
        : {
            transFn: x.msfunc,
            invFn: x.minvfunc,
            stateType: x.mstype,
            stateSpace: x.msspace,
            finalFn: x.mfinal,
            finalExtra: x.mfinal_extra,
            initCond: x.minit,
            finalModify: x.mmodify,
          },
    finalModify: x.modify,
  }
}
