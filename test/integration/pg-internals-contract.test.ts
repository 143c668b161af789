/**
 * Contract tests for the private parts of `pg` and `pg-copy-streams` that pgferry's hot paths use
 * (issue 12, "depend on public behaviour, or own the socket"). Both packages are pinned to exact
 * versions in package.json; a version bump that changes any of these fails here, by name, instead
 * of silently breaking CDC or the full load.
 *
 * Who relies on what:
 * - src/wal/replication-stream.ts: a submittable's `submit(connection)` gets pg's Connection, whose
 *   `stream` is the socket and whose first 'data' listener is pg's protocol parser; it detaches that
 *   parser, reads the CopyBoth stream itself, and hands pg its bytes again at the end; it calls
 *   `connection.query(text)` and receives the handle* callbacks.
 * - src/fullload/copy-relay.ts and direct-relay.ts: pg-copy-streams' CopyToQueryStream methods
 *   `_parse`, `_read`, `_forward`, `_attach`, `_detach`, `_cleanup`, fields `_buffer`,
 *   `_pgDataHandler`, `connection`; CopyFromQueryStream's `flushChunk` and `connection.stream`.
 * - src/fullload/hard-close.ts, snapshot.ts: `client.connection` (an EventEmitter with 'end') and
 *   `client.connection.stream.destroy()`.
 * - src/pg/connect.ts: pg's `stream` client option (a socket factory) for relay-socket.ts.
 */
import { createRequire } from 'node:module'
import type { Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pg from 'pg'
import pgCopy from 'pg-copy-streams'
import { startCluster, type Cluster } from '../harness/cluster.js'

const require = createRequire(import.meta.url)

let cluster: Cluster
beforeAll(async () => {
  cluster = await startCluster({ major: 16 })
})
afterAll(async () => {
  await cluster?.stop()
})

describe('pinned versions', () => {
  it('package.json pins pg and pg-copy-streams exactly, and the installed ones match', () => {
    const manifest = require('../../package.json') as { dependencies: Record<string, string> }
    for (const name of ['pg', 'pg-copy-streams']) {
      const wanted = manifest.dependencies[name]
      expect(wanted, `${name} must be pinned to an exact version`).toMatch(/^\d+\.\d+\.\d+$/)
      const installed = (require(`${name}/package.json`) as { version: string }).version
      expect(installed, `${name} installed differs from the pin`).toBe(wanted)
    }
  })
})

describe('pg Client internals', () => {
  it('exposes connection.stream (a socket) whose first data listener is the protocol parser', async () => {
    const client = new pg.Client(cluster.config())
    await client.connect()
    try {
      const connection = (client as unknown as { connection: Record<string, unknown> }).connection
      expect(connection, 'client.connection').toBeDefined()
      expect(typeof (connection as { on?: unknown }).on, 'connection is an EventEmitter').toBe(
        'function',
      )
      const stream = connection.stream as Socket
      expect(typeof stream.write).toBe('function')
      expect(typeof stream.destroy).toBe('function')
      expect(typeof stream.resume).toBe('function')
      const listeners = stream.listeners('data') as ((b: Buffer) => void)[]
      expect(listeners.length, 'pg attaches one data listener at connect').toBeGreaterThan(0)

      // Detach the parser, feed it by hand (what replication-stream.ts does): queries still work.
      const parser = listeners[0] as (b: Buffer) => void
      stream.removeListener('data', parser)
      let fed = 0
      const tap = (b: Buffer): void => {
        fed += b.length
        parser(b)
      }
      stream.on('data', tap)
      const r = await client.query<{ n: number }>('SELECT 41 + 1 AS n')
      expect(r.rows[0]?.n).toBe(42)
      expect(fed).toBeGreaterThan(0)
      stream.removeListener('data', tap)
      stream.on('data', parser)
      expect((await client.query<{ n: number }>('SELECT 7 AS n')).rows[0]?.n).toBe(7)
    } finally {
      await client.end()
    }
  })

  it("calls a submittable's submit(connection) and its handle* callbacks, and connection.query sends a simple query", async () => {
    const client = new pg.Client(cluster.config())
    await client.connect()
    try {
      const seen: string[] = []
      await new Promise<void>((resolve, reject) => {
        const submittable = {
          submit: (connection: { query(text: string): void; stream: unknown }) => {
            expect(connection.stream).toBeDefined()
            connection.query('SELECT 1')
          },
          handleRowDescription: () => seen.push('row-description'),
          handleDataRow: () => seen.push('data-row'),
          handleCommandComplete: () => seen.push('command-complete'),
          handleReadyForQuery: () => {
            seen.push('ready')
            resolve()
          },
          handleError: (e: unknown) => reject(e as Error),
          handleEmptyQuery: () => undefined,
          handlePortalSuspended: () => undefined,
          handleCopyInResponse: () => undefined,
          handleCopyData: () => undefined,
        }
        void client.query(submittable as unknown as pg.QueryConfig)
      })
      expect(seen).toEqual(['row-description', 'data-row', 'command-complete', 'ready'])
    } finally {
      await client.end()
    }
  })

  it("takes a socket factory as the 'stream' option (relay-socket.ts)", async () => {
    const net = await import('node:net')
    let made = 0
    const client = new pg.Client({
      ...cluster.config(),
      stream: () => {
        made++
        return new net.Socket()
      },
    } as pg.ClientConfig)
    await client.connect()
    try {
      expect(made).toBe(1)
      expect((await client.query<{ n: number }>('SELECT 3 AS n')).rows[0]?.n).toBe(3)
    } finally {
      await client.end()
    }
  })
})

describe('pg-copy-streams internals', () => {
  it('CopyToQueryStream has the methods and fields copy-relay.ts and direct-relay.ts replace or call', async () => {
    const to = pgCopy.to(
      'COPY (SELECT g FROM generate_series(1, 3) g) TO STDOUT',
    ) as unknown as Record<string, unknown>
    for (const m of ['_parse', '_read', '_forward', '_attach', '_detach', '_cleanup', 'push']) {
      expect(typeof to[m], `CopyToQueryStream.${m}`).toBe('function')
    }
    expect(to._buffer, 'CopyToQueryStream._buffer').toBeDefined()
    expect(typeof (to._buffer as { push?: unknown }).push).toBe('function')
    expect('_pgDataHandler' in to, 'CopyToQueryStream._pgDataHandler').toBe(true)

    // and it runs with a replaced _parse that still gets every byte of the COPY
    const client = new pg.Client(cluster.config())
    await client.connect()
    try {
      const original = to._parse as (b: Buffer) => unknown
      let bytes = 0
      to._parse = function (this: unknown, b: Buffer) {
        bytes += b.length
        return original.call(this, b)
      }
      const chunks: Buffer[] = []
      const stream = client.query(to as unknown as pgCopy.CopyToStreamQuery)
      for await (const c of stream) chunks.push(c as Buffer)
      expect(Buffer.concat(chunks).toString()).toBe('1\n2\n3\n')
      expect(bytes).toBeGreaterThan(0)
      expect(
        (to as { connection?: unknown }).connection,
        'CopyToQueryStream.connection',
      ).toBeDefined()
    } finally {
      await client.end()
    }
  })

  it('CopyFromQueryStream has flushChunk and, once submitted, connection.stream.write', async () => {
    const client = new pg.Client(cluster.config())
    await client.connect()
    try {
      await client.query('CREATE TEMP TABLE c (v int)')
      const from = client.query(pgCopy.from('COPY c FROM STDIN'))
      const internals = from as unknown as {
        flushChunk?: unknown
        connection?: { stream?: { write?: unknown } }
      }
      expect(typeof internals.flushChunk, 'CopyFromQueryStream.flushChunk').toBe('function')
      // while the COPY runs (copy-relay.ts writes through it then), the connection is attached
      await new Promise<void>((resolve, reject) => {
        from.on('error', reject)
        from.write('5\n', () => resolve())
      })
      expect(typeof internals.connection?.stream?.write, 'CopyFromQueryStream.connection').toBe(
        'function',
      )
      await new Promise<void>((resolve, reject) => {
        from.on('finish', resolve)
        from.on('error', reject)
        from.end('6\n')
      })
      expect((await client.query<{ s: number }>('SELECT sum(v)::int AS s FROM c')).rows[0]?.s).toBe(
        11,
      )
    } finally {
      await client.end()
    }
  })
})
