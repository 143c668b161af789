/**
 * bench:full-writer — Node's CPU seconds in ChangeWriter (src/apply/change-writer.ts) and the
 * statements' parameters as `pg` serialises them, for one bulk transaction of bench:incremental's
 * shape: 1M UPDATEs of a non-key column and 1M DELETEs of a REPLICA IDENTITY FULL table
 * (id int, a int, b text, c timestamptz), and 1M UPDATEs of the same table with a primary key.
 * Issue 11: on 2 cores, pgferry's Node CPU after the source's COMMIT is what leaves a FULL UPDATE
 * behind native's. No server is involved: the writer's client is a stand-in that builds each
 * statement's Bind message with pg's own serialiser (pg-protocol's `serialize.bind` with pg's
 * `prepareValue`, what `pg.Client` does before writing to its socket) and answers with the run's
 * row count. Socket writes and the server's work are not in the figure.
 *
 *   npm run bench:full-writer -- [<rev> …]    (default: this checkout's src only)
 *
 * Revisions are measured as lib/src-revisions.ts says (interleaved, ROUNDS, default 2); each child
 * runs REPS (default 3) passes of each case and reports medians. One line per revision:
 *   RESULT name=full-writer rev=… rows=… full_update=<cpu s> full_delete=… pk_update=… load1=…
 * (env CASES: a comma-separated subset) and the generation-only cost (making the messages, with no writer) as `gen`, which the figures
 * above include.
 */
import { fileURLToPath, pathToFileURL } from 'node:url'
import path from 'node:path'
import { serialize } from 'pg-protocol'
import { createRequire } from 'node:module'
import type * as WriterModule from '../src/apply/change-writer.js'
import type * as PlanModule from '../src/apply/relation-plan.js'
import type * as MessagesModule from '../src/wal/pgoutput-messages.js'
import { CHILD_SRC, cpuSeconds, measureRevisions, textTuple } from './lib/src-revisions.js'
import { median } from './lib/stats.js'

const ROWS = Number(process.env.ROWS ?? 1_000_000)

/**
 * The rows of a run from its first parameter: an array (pg serialises it), or the array literal
 * the apply builds itself since issue 11 (src/pg/text-array.ts), counted by its commas: the
 * benchmark's values hold none.
 */
function runRows(first: unknown): number {
  if (Array.isArray(first)) return first.length
  if (typeof first !== 'string' || !first.startsWith('{')) return 1
  let n = 1
  for (let at = first.indexOf(','); at >= 0; at = first.indexOf(',', at + 1)) n++
  return n
}

/** A pg.Client stand-in: serialises each statement's parameters as pg does, answers the run's rows. */
function standInClient(): { query: (q: unknown) => Promise<unknown>; bytes: number } {
  // pg's own value mapper (pg/lib/query.js binds with it); the package declares no types for it
  const pgUtils = createRequire(import.meta.url)('pg/lib/utils.js') as {
    prepareValue: (v: unknown) => unknown
  }
  const prepareValue = pgUtils.prepareValue
  const client = {
    bytes: 0,
    query(q: unknown): Promise<unknown> {
      if (typeof q === 'string') return Promise.resolve({ rowCount: 0, rows: [] })
      const { name, values } = q as { name?: string; values?: unknown[] }
      const params = values ?? []
      const bind = serialize.bind({
        statement: name ?? '',
        values: params,
        valueMapper: prepareValue as never,
      })
      client.bytes += bind.length
      const rows = runRows(params[0])
      return Promise.resolve({ rowCount: rows, rows: [] })
    },
  }
  return client
}

async function child(srcDir: string): Promise<void> {
  const reps = Number(process.env.REPS ?? 3)
  const url = (p: string): string => pathToFileURL(path.join(srcDir, p)).href
  const { ChangeWriter } = (await import(url('apply/change-writer.ts'))) as typeof WriterModule
  const { RelationPlan } = (await import(url('apply/relation-plan.ts'))) as typeof PlanModule
  const msgs = (await import(url('wal/pgoutput-messages.ts'))) as typeof MessagesModule
  const names = ['id', 'a', 'b', 'c']
  const types = [
    ['integer', 23],
    ['integer', 23],
    ['text', 25],
    ['timestamp with time zone', 1184],
  ] as const
  const planOf = (identity: 'f' | 'd', oid: number): InstanceType<typeof RelationPlan> => {
    const relation = {
      type: msgs.MessageType.Relation,
      relationOid: oid,
      schema: 'public',
      name: identity === 'f' ? 't_full' : 't_pk',
      replicaIdentity: identity,
      columns: names.map((name, i) => ({
        isKey: identity === 'f' || i === 0,
        name,
        typeOid: types[i]?.[1] ?? 25,
        typeMod: -1,
      })),
    }
    const table = {
      partitioned: false,
      rules: false,
      root: undefined,
      columns: names.map((name, i) => ({
        name,
        type: types[i]?.[0] ?? 'text',
        typeOid: types[i]?.[1] ?? 25,
        typeMod: -1,
        generated: false,
        identity: '',
        unique: identity === 'd' && i === 0,
        indexed: i === 0,
        textEqual: i < 3,
      })),
    }
    return new RelationPlan(relation as never, 'public', table as never, 0n)
  }
  const full = planOf('f', 1)
  const pk = planOf('d', 2)
  const stamps = Array.from({ length: 60 }, (_, s) => String(s).padStart(2, '0'))
  const md5ish = (g: number): string => (g * 2654435761).toString(16).padStart(32, '0').slice(-32)
  const tuple = (g: number, a: number): InstanceType<typeof msgs.TupleData> => {
    const cols = [String(g), String(a), md5ish(g), `2024-01-01 00:00:${stamps[g % 60]}+00`]
    return textTuple(msgs, cols)
  }
  const pass = (kind: 'full_update' | 'full_delete' | 'pk_update') =>
    cpuSeconds(async () => {
      const w = new ChangeWriter(standInClient() as never)
      const plan = kind === 'pk_update' ? pk : full
      for (let g = 1; g <= ROWS; g++) {
        if (kind === 'full_delete') {
          const m = {
            type: msgs.MessageType.Delete,
            relation: plan.relation,
            oldKind: 'O',
            oldTuple: tuple(g, 0),
          }
          await w.delete(plan, m as never)
        } else {
          const m = {
            type: msgs.MessageType.Update,
            relation: plan.relation,
            oldKind: kind === 'pk_update' ? undefined : 'O',
            oldTuple: kind === 'pk_update' ? undefined : tuple(g, 0),
            newTuple: tuple(g, 1),
          }
          await w.update(plan, m as never)
        }
      }
      await w.flush()
    })
  const generated = cpuSeconds(async () => {
    let bytes = 0
    for (let g = 1; g <= ROWS; g++) bytes += tuple(g, 0).buffer.length + tuple(g, 1).buffer.length
    if (bytes === 0) throw new Error('no rows')
  })
  const cases = (['full_update', 'full_delete', 'pk_update'] as const).filter(
    (c) => process.env.CASES === undefined || process.env.CASES.split(',').includes(c),
  )
  const figures: Record<string, number[]> = { gen: [] }
  for (let r = 0; r < reps; r++) {
    for (const c of cases) (figures[c] ??= []).push(await pass(c)())
    figures.gen?.push(await generated())
  }
  const out: Record<string, number> = {}
  for (const [k, v] of Object.entries(figures)) out[k] = median(v)
  console.log(JSON.stringify(out))
}

const childSrc = process.env[CHILD_SRC]
if (childSrc !== undefined) await child(childSrc)
else
  measureRevisions(
    'full-writer',
    fileURLToPath(import.meta.url),
    process.argv.slice(2),
    `rows=${ROWS}`,
  )
