import { once } from 'node:events'
import net from 'node:net'
import type pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import { LanePool } from '../../src/fullload/copy-lanes.js'
import { canRelayDirect, relayDirect } from '../../src/fullload/direct-relay.js'
import { relaySocket } from '../../src/fullload/relay-socket.js'
import { clientConfig, openClient } from '../../src/pg/connect.js'
import type { StageContext } from '../../src/model/stage.js'
import type { ResolvedConnection } from '../../src/model/resolved-connection.js'
import { FakePgServer } from './fake-pg-server.js'

const clientOn = (stream: net.Socket): pg.Client =>
  ({ connection: { stream } }) as unknown as pg.Client

const connection = (port: number, ssl: ResolvedConnection['ssl'] = false): ResolvedConnection => ({
  host: '127.0.0.1',
  port,
  user: 'test',
  database: 'test',
  ssl,
  connectionTimeoutMillis: 5000,
  applicationName: 'pgferry-test',
  hasPassword: false,
})

/** A lane pool of one database on the fake server, as the full load opens it. */
function lanePool(port: number): LanePool {
  const conn = connection(port)
  const ctx = {
    config: { source: conn, target: conn },
    signal: new AbortController().signal,
    connect: (side: 'source' | 'target', opts: { database?: string } = {}) =>
      openClient(conn, side, opts),
    warn: () => undefined,
  } as unknown as StageContext
  return new LanePool(ctx, 'test', 'test')
}

describe('direct relay: the source socket in onread mode', () => {
  const open: net.Socket[] = []
  const servers: { close(): void }[] = []
  const pools: LanePool[] = []
  afterEach(async () => {
    await Promise.all(pools.map((p) => p.close()))
    pools.length = 0
    for (const s of open) s.destroy()
    open.length = 0
    for (const s of servers) s.close()
    servers.length = 0
  })

  async function pair(): Promise<{ local: net.Socket; remote: net.Socket }> {
    const server = net.createServer()
    servers.push(server)
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as net.AddressInfo
    const accepted = once(server, 'connection')
    const local = relaySocket()
    local.connect(port, '127.0.0.1')
    await once(local, 'connect')
    const [remote] = (await accepted) as [net.Socket]
    open.push(local, remote)
    return { local, remote }
  }

  async function fakeServer(): Promise<{ server: FakePgServer; port: number }> {
    const server = new FakePgServer()
    servers.push(server)
    return { server, port: await server.listen() }
  }

  it('outside a COPY still emits every byte as its own buffer, across pauses', async () => {
    const { local, remote } = await pair()
    expect(canRelayDirect(clientOn(local), clientOn(remote))).toBe(true)
    const sent = Buffer.alloc(4 << 20)
    for (let i = 0; i < sent.length; i++) sent[i] = (i * 7919) >>> 3
    const got: Buffer[] = []
    let paused = 0
    local.on('data', (b: Buffer) => {
      got.push(b) // kept: a view of the reused read buffer would be overwritten by later reads
      if (got.length % 7 === 0) {
        paused++
        local.pause()
        setTimeout(() => local.resume(), 1)
      }
    })
    remote.end(sent)
    await once(local, 'end')
    expect(paused).toBeGreaterThan(0)
    expect(Buffer.concat(got).equals(sent)).toBe(true)
  })

  it('leaves a socket not made by relaySocket() (pg default, TLS) to the stream path', async () => {
    const s = new net.Socket()
    expect(canRelayDirect(clientOn(s), clientOn(s))).toBe(false)
    const { local } = await pair()
    local.destroy()
    expect(canRelayDirect(clientOn(local), clientOn(s))).toBe(false)
  })

  it('gives the copy lanes a relay socket for a plain TCP source, and relays through it', async () => {
    const { server, port } = await fakeServer()
    // 16 MB of rows while the target stops reading for a while: the relay must wait for the
    // target socket (a range not yet written still points into the reused read buffer).
    server.rows = Array.from({ length: 80_000 }, (_, i) =>
      Buffer.from(`${i}\t${'x'.repeat(180 + (i % 37))}\n`),
    )
    server.stallMs = 200
    const pool = lanePool(port)
    pools.push(pool)
    const lane = await pool.acquire()
    expect(canRelayDirect(lane.source, lane.target)).toBe(true)
    let counted = 0
    const out = await relayDirect(
      lane.source,
      lane.target,
      'COPY t TO STDOUT',
      'COPY t FROM STDIN',
      (n) => (counted += n),
    )
    const expected = Buffer.concat(server.rows)
    expect(server.received).toHaveLength(1)
    expect((server.received[0] as Buffer).equals(expected)).toBe(true)
    expect(out).toEqual({ rows: server.rows.length, bytes: expected.length })
    expect(counted).toBe(expected.length)
    // After the COPY the client is pg's as before: queries, and a second relay, work.
    expect((await lane.source.query('SELECT 1')).rowCount).toBe(0)
    server.stallMs = 0
    server.rows = server.rows.slice(0, 10)
    const again = await relayDirect(
      lane.source,
      lane.target,
      'COPY t TO STDOUT',
      'COPY t FROM STDIN',
    )
    expect(again.rows).toBe(10)
  }, 20_000)

  it('keeps pg’s own socket for a TLS source (the stream path)', async () => {
    const { port } = await fakeServer()
    const tls = await clientConfig(connection(port, true), { socket: relaySocket })
    expect(tls.stream).toBeUndefined()
    const plain = await clientConfig(connection(port), { socket: relaySocket })
    expect(plain.stream).toBe(relaySocket)
  })
})
