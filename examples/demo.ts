/**
 * `npm run demo`: starts two throwaway PostgreSQL clusters from the npm-shipped binaries, fills the
 * source with a small shop, and migrates it with pgferry, printing each event. Stages that this
 * version does not implement yet are reported and the demo stops there.
 */
import { createTask, PgferryError } from '../src/index.js'
import { startPair } from '../test/harness/cluster.js'

const SOURCE_MAJOR = 16
const TARGET_MAJOR = 17

const pair = await startPair(SOURCE_MAJOR, TARGET_MAJOR)
console.log(
  `source: PostgreSQL ${SOURCE_MAJOR} on port ${pair.source.port}; target: PostgreSQL ${TARGET_MAJOR} on port ${pair.target.port}`,
)
let exitCode = 0
try {
  await pair.source.query('CREATE DATABASE shop')
  await pair.target.query('CREATE DATABASE shop')
  await pair.source.query(
    `CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, email text UNIQUE);
     CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers(id), total numeric(12,2), placed_at timestamptz DEFAULT now());
     INSERT INTO customers (name, email) SELECT 'customer ' || g, 'c' || g || '@example.com' FROM generate_series(1, 1000) g;
     INSERT INTO orders (customer_id, total) SELECT 1 + g % 1000, (g % 500) / 3.0 FROM generate_series(1, 20000) g;`,
    [],
    'shop',
  )
  console.log('source: shop database with 1,000 customers and 20,000 orders')

  const task = await createTask({
    name: 'demo: shop to the new cluster',
    source: pair.source.url('shop'),
    target: pair.target.url('shop'),
    type: 'full+incremental',
  })
  task.on('task:state', (e) => console.log(`state: ${e.from} → ${e.to}`))
  task.on('stage:start', (e) => console.log(`stage ${e.stage}: started`))
  task.on('stage:done', (e) => console.log(`stage ${e.stage}: done in ${e.durationMs} ms`))
  task.on('precheck:item', (e) =>
    console.log(`  precheck ${e.status.padEnd(7)} ${e.id}: ${e.message}`),
  )
  task.on('warning', (e) => console.log(`  warning ${e.code}: ${e.message}`))
  try {
    const result = await task.run()
    console.log(`run finished in state ${result.state}`)
  } catch (error) {
    if (!(error instanceof PgferryError) || error.code !== 'PGFERRY_STAGE_NOT_IMPLEMENTED')
      throw error
    console.log(`stopped: ${(error as Error).message} (a later release fills this stage in)`)
  } finally {
    await task.close()
  }
} catch (error) {
  console.error(error)
  exitCode = 1
} finally {
  await pair.stop()
}
process.exit(exitCode)
