import { describe, expect, it } from 'vitest'
import { applyEdges, sortSteps, splitPhases } from '../../src/schema/order-steps.js'
import { StepPlan, type PlanStep } from '../../src/schema/step-plan.js'

function plan(): StepPlan {
  return new StepPlan('db', 'keep', new Set(['postgres', 'app']), new Map())
}

const keys = (steps: readonly PlanStep[]): string[] => steps.map((s) => s.key)

describe('creation order', () => {
  it('puts every step after what it depends on, kinds breaking ties', () => {
    const p = plan()
    p.add('view:v', 'view', 'v', 'pre-data', ['CREATE VIEW v'])
    p.add('table:t', 'table', 't', 'pre-data', ['CREATE TABLE t'])
    p.add('function:f', 'function', 'f', 'pre-data', ['CREATE FUNCTION f'])
    p.add('schema:s', 'schema', 's', 'pre-data', ['CREATE SCHEMA s'])
    p.add('index:i', 'index', 'i', 'post-data', ['CREATE INDEX i'], { dependsOn: ['table:t'] })
    // the function's return type is the table's row type: pg_depend says function → table
    p.ref('pg_proc', 1, 'function:f')
    p.ref('pg_class', 2, 'table:t')
    p.ref('pg_class', 3, 'view:v')
    applyEdges(p, [
      { from: { catalog: 'pg_proc', oid: 1 }, to: { catalog: 'pg_class', oid: 2 }, toName: 't' },
      { from: { catalog: 'pg_class', oid: 3 }, to: { catalog: 'pg_proc', oid: 1 }, toName: 'f' },
    ])
    const order = keys(sortSteps([...p.steps.values()]))
    expect(order).toEqual(['schema:s', 'table:t', 'function:f', 'view:v', 'index:i'])
  })

  it('moves a view that needs a primary key to post-data, with what depends on it', () => {
    const p = plan()
    p.add('table:t', 'table', 't', 'pre-data', ['CREATE TABLE t'])
    p.add('constraint:pk', 'constraint', 'pk', 'post-data', ['ADD PRIMARY KEY'], {
      dependsOn: ['table:t'],
      relations: [2],
    })
    p.add('view:v', 'view', 'v', 'pre-data', ['CREATE VIEW v'])
    p.add('view:w', 'view', 'w', 'pre-data', ['CREATE VIEW w'], { dependsOn: ['view:v'] })
    p.ref('pg_constraint', 9, 'constraint:pk')
    p.ref('pg_class', 3, 'view:v')
    applyEdges(p, [
      {
        from: { catalog: 'pg_class', oid: 3 },
        to: { catalog: 'pg_constraint', oid: 9 },
        toName: 'pk',
      },
    ])
    splitPhases(p)
    expect(p.steps.get('view:v')?.phase).toBe('post-data')
    expect(p.steps.get('view:w')?.phase).toBe('post-data')
    expect(keys(sortSteps([...p.steps.values()]))).toEqual([
      'table:t',
      'constraint:pk',
      'view:v',
      'view:w',
    ])
  })

  it('a sequence owned by a table still comes before the table whose DEFAULT uses it', () => {
    const p = plan()
    p.add('relation:t', 'table', 't', 'pre-data', ['CREATE TABLE t'])
    p.add('relation:s', 'sequence', 's', 'pre-data', ['CREATE SEQUENCE s'])
    p.ref('pg_class', 1, 'relation:t')
    p.ref('pg_class', 2, 'relation:s')
    applyEdges(p, [
      { from: { catalog: 'pg_class', oid: 1 }, to: { catalog: 'pg_class', oid: 2 }, toName: 's' }, // default → sequence
      { from: { catalog: 'pg_class', oid: 2 }, to: { catalog: 'pg_class', oid: 1 }, toName: 't' }, // owned by (auto)
    ])
    expect(keys(sortSteps([...p.steps.values()]))).toEqual(['relation:s', 'relation:t'])
  })

  it('breaks a cycle instead of dropping steps, and names where', () => {
    const p = plan()
    p.add('a', 'function', 'a', 'pre-data', ['A'], { dependsOn: ['b'] })
    p.add('b', 'table', 'b', 'pre-data', ['B'], { dependsOn: ['a'] })
    p.add('c', 'view', 'c', 'pre-data', ['C'], { dependsOn: ['b'] })
    const broken: string[] = []
    const order = keys(sortSteps([...p.steps.values()], (s) => broken.push(s.key)))
    expect(order).toEqual(['a', 'b', 'c'])
    expect(broken).toEqual(['a'])
  })

  it('gives a materialized view refresh the tables behind its views', () => {
    const p = plan()
    p.add('relation:t', 'table', 't', 'pre-data', ['CREATE TABLE t'], { relations: [10] })
    p.add('relation:u', 'table', 'u', 'pre-data', ['CREATE TABLE u'], { relations: [11] })
    p.add('relation:v', 'view', 'v', 'pre-data', ['CREATE VIEW v'], { dependsOn: ['relation:t'] })
    p.add('relation:m', 'materialized-view', 'm', 'pre-data', ['CREATE MATERIALIZED VIEW m'], {
      dependsOn: ['relation:v', 'relation:u'],
    })
    p.add('matview-refresh:m', 'matview-refresh', 'm', 'post-data', ['REFRESH'], {
      dependsOn: ['relation:m'],
    })
    splitPhases(p)
    expect([...(p.steps.get('matview-refresh:m')?.relations ?? [])].sort()).toEqual([10, 11])
  })

  it('leaves out an index that needs an unselected function, and what needs the index; the table stays', () => {
    const p = plan()
    p.add('relation:t', 'table', 't', 'pre-data', ['CREATE TABLE t'])
    p.add('index:i', 'index', 'i', 'post-data', ['CREATE INDEX i'], { dependsOn: ['relation:t'] })
    p.add('foreign-key:f', 'foreign-key', 'f', 'post-data', ['ADD FOREIGN KEY'], {
      dependsOn: ['index:i'],
    })
    p.ref('pg_class', 1, 'relation:t')
    p.ref('pg_class', 2, 'index:i')
    applyEdges(p, [
      {
        from: { catalog: 'pg_class', oid: 2 },
        to: { catalog: 'pg_proc', oid: 7 },
        toName: 'function app.f(text)',
      },
      {
        from: { catalog: 'pg_class', oid: 1 },
        to: { catalog: 'pg_proc', oid: 8 },
        toName: 'function app.g()',
      },
    ])
    expect([...p.steps.keys()]).toEqual(['relation:t'])
    expect(p.unsupported).toEqual([
      { object: 'index i', reason: expect.stringContaining('needs function app.f(text)') },
      { object: 'foreign-key f', reason: expect.stringContaining('needs index i') },
    ])
  })
})
