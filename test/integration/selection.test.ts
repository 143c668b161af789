import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readSelection, selectedDatabases } from '../../src/catalog/selection.js'
import { resolveObjects } from '../../src/task/resolve-objects.js'
import { resolveConnection } from '../../src/task/resolve-connection.js'
import { startCluster, type Cluster } from '../harness/cluster.js'

let c: Cluster
let db: string
beforeAll(async () => {
  c = await startCluster({ major: 12 })
  db = await c.createDatabase('sel')
  await c.query(
    `CREATE SCHEMA "Sales Ünïcode";
     CREATE TABLE "Sales Ünïcode"."order" (id serial PRIMARY KEY, note text);
     CREATE TABLE "Sales Ünïcode".skip_me (id int);
     CREATE VIEW "Sales Ünïcode".v AS SELECT * FROM "Sales Ünïcode"."order";
     CREATE TABLE public.m (id int, at date) PARTITION BY RANGE (at);
     CREATE TABLE public.m_2024 PARTITION OF public.m FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
     CREATE UNLOGGED TABLE public.u (id int);
     CREATE FUNCTION public.f(a int) RETURNS int LANGUAGE sql AS 'SELECT a';
     CREATE EXTENSION hstore;`,
    [],
    db,
  )
})
afterAll(async () => c?.stop())

describe('readSelection', () => {
  it('selects whole schemas without system or extension objects, with partitions and owned sequences', async () => {
    const client = await c.client(db)
    try {
      const objects = resolveObjects(undefined, resolveConnection(c.url(db), 'source'))
      const [database] = await selectedDatabases(objects, client)
      const sel = await readSelection(client, database!)
      const names = sel.relations.map((r) => `${r.schema}.${r.name}:${r.kind}:${r.reason}`).sort()
      expect(names).toEqual([
        'Sales Ünïcode.order:r:schema',
        'Sales Ünïcode.order_id_seq:S:schema',
        'Sales Ünïcode.skip_me:r:schema',
        'Sales Ünïcode.v:v:schema',
        'public.m:p:schema',
        'public.m_2024:r:schema',
        'public.u:r:schema',
      ])
      expect(sel.relations.find((r) => r.name === 'u')?.persistence).toBe('u')
      expect(sel.functions.map((f) => `${f.schema}.${f.name}(${f.identityArgs})`)).toEqual([
        'public.f(a integer)',
      ])
      expect(sel.missing).toEqual([])
    } finally {
      await client.end()
    }
  })

  it('selects named tables with what they bring, renames schemas, and names what is missing', async () => {
    const client = await c.client(db)
    try {
      const objects = resolveObjects(
        {
          databases: {
            [db]: {
              schemas: {
                'Sales Ünïcode': { tables: ['order', 'ghost'], as: 'sales' },
                public: { tables: ['m'], functions: ['nope'] },
                absent: true,
              },
            },
          },
        },
        resolveConnection(c.url(db), 'source'),
      )
      const sel = await readSelection(client, objects.databases![0]!)
      const names = sel.relations.map((r) => `${r.targetSchema}.${r.name}:${r.reason}`).sort()
      expect(names).toEqual([
        'public.m:explicit',
        'public.m_2024:partition',
        'sales.order:explicit',
        'sales.order_id_seq:owned-sequence',
      ])
      expect([...sel.missing].sort()).toEqual(['Sales Ünïcode.ghost', 'absent', 'public.nope()'])
    } finally {
      await client.end()
    }
  })
})
