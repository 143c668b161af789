/**
 * A local TCP proxy for network fault tests: a connection is cut, held or black-holed here. A test points a connection at the proxy instead of the server, then creates the
 * condition it needs instead of racing for it: it holds one connection's server→client bytes
 * (after an allowance, so a stream is cut mid-message), finds the connection by the port the
 * server sees (`client_port` in pg_stat_activity), and cuts it (a TCP reset on both sides).
 */
import net from 'node:net'

/** One client connection relayed to the server. */
export interface ProxiedConnection {
  /** The local port of the proxy's socket to the server: the server's `client_port`. */
  readonly serverSidePort: number
  /** Server → client bytes forwarded so far. */
  readonly bytesDown: number
  /** Whether the server → client direction is held. */
  readonly held: boolean
  /**
   * Hold the server → client direction after `allowance` more bytes (default 0): the rest waits
   * in the proxy and the server's socket buffer, and the server blocks on its writes.
   */
  hold(allowance?: number): void
  /**
   * Stop forwarding in both directions without closing anything, as a network path that drops
   * every packet would (a NAT entry gone, a host vanished): no FIN, no RST. What each side sends
   * waits in the proxy's socket buffers, and a close by either side goes unseen, until `release()`.
   */
  blackHole(): void
  /**
   * Forward again what is held or black-holed. A side that closed meanwhile is then seen closing,
   * as the peer's TCP stack answers the first packet after a path heals.
   */
  release(): void
  /** Reset both sockets, as a network failure would. */
  cut(): void
  /**
   * Reset the server's side only: the server ends the session, while the client is told nothing
   * until it next sends (then it is reset, as a peer's TCP stack would), like a connection whose
   * server side died unseen behind a partition.
   */
  dropServerSide(): void
}

/** A running proxy. */
export interface TcpProxy {
  readonly host: string
  readonly port: number
  /** Open connections, oldest first. */
  connections(): readonly ProxiedConnection[]
  /** The open connection the server sees at `clientPort`, if any. */
  byServerPort(clientPort: number): ProxiedConnection | undefined
  /** Cut every open connection; new ones are still accepted. */
  cutAll(): void
  /**
   * Hold the client → server direction of the first connection whose client sends a chunk holding
   * `pattern`, right after that chunk: what the client sends next never reaches the server (a
   * process killed at that moment has sent that chunk and nothing more). Resolves with it.
   */
  holdClientAfter(pattern: string): Promise<ProxiedConnection>
  /** Stop listening and cut every connection. */
  close(): Promise<void>
}

/** Listen on a free loopback port and relay every connection to `host:port`. */
export async function startTcpProxy(host: string, port: number): Promise<TcpProxy> {
  const open = new Set<ProxiedConnection>()
  let trap: { pattern: Buffer; resolve: (c: ProxiedConnection) => void } | undefined
  // every client socket not closed yet, dropped ones included (server.close() waits for them)
  const clients = new Set<net.Socket>()
  const server = net.createServer((client) => {
    clients.add(client)
    client.once('close', () => clients.delete(client))
    const upstream = net.connect({ host, port })
    let upHeld = false
    let bytesDown = 0
    let allowance: number | undefined
    let pending: Buffer | undefined
    let closed = false
    let dropped = false
    let holed = false
    let closedUnseen = false
    const close = (): void => {
      if (dropped || closed) return
      if (holed) {
        closedUnseen = true
        return
      }
      closed = true
      open.delete(conn)
      client.destroy()
      upstream.destroy()
    }
    const forward = (chunk: Buffer): void => {
      bytesDown += chunk.length
      if (!client.write(chunk)) upstream.pause()
    }
    const conn: ProxiedConnection = {
      get serverSidePort() {
        return upstream.localPort ?? 0
      },
      get bytesDown() {
        return bytesDown
      },
      get held() {
        return allowance !== undefined && allowance <= 0
      },
      hold(more = 0) {
        allowance = more
        if (more <= 0) upstream.pause()
      },
      blackHole() {
        holed = true
        upstream.pause()
        client.pause()
      },
      release() {
        holed = false
        if (closedUnseen) return close()
        allowance = undefined
        const rest = pending
        pending = undefined
        if (rest !== undefined) forward(rest)
        if (client.writableNeedDrain !== true) upstream.resume()
        if (upstream.writableNeedDrain !== true) client.resume()
      },
      cut() {
        if (closed) return
        closed = true
        open.delete(conn)
        client.resetAndDestroy()
        upstream.resetAndDestroy()
      },
      dropServerSide() {
        if (closed) return
        dropped = true
        open.delete(conn)
        upstream.resetAndDestroy()
      },
    }
    upstream.on('data', (chunk: Buffer) => {
      if (allowance === undefined) return forward(chunk)
      if (chunk.length <= allowance) {
        allowance -= chunk.length
        forward(chunk)
        if (allowance === 0) upstream.pause()
        return
      }
      const head = chunk.subarray(0, allowance)
      pending = pending === undefined ? chunk.subarray(allowance) : Buffer.concat([pending, chunk])
      allowance = 0
      upstream.pause()
      if (head.length > 0) forward(head)
    })
    client.on('drain', () => {
      if (!holed && (allowance === undefined || allowance > 0)) upstream.resume()
    })
    client.on('data', (chunk: Buffer) => {
      if (upHeld) return
      if (dropped) {
        closed = true
        client.resetAndDestroy()
        return
      }
      if (!upstream.write(chunk)) client.pause()
      if (trap !== undefined && chunk.includes(trap.pattern)) {
        upHeld = true
        trap.resolve(conn)
        trap = undefined
      }
    })
    client.on('end', () => {
      if (dropped) client.resetAndDestroy()
    })
    upstream.on('drain', () => {
      if (!holed) client.resume()
    })
    client.on('error', close)
    upstream.on('error', close)
    client.on('close', close)
    upstream.on('close', close)
    upstream.once('connect', () => open.add(conn))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = server.address() as net.AddressInfo
  return {
    host: '127.0.0.1',
    port: address.port,
    connections: () => [...open],
    byServerPort: (clientPort) => [...open].find((c) => c.serverSidePort === clientPort),
    holdClientAfter: (pattern) =>
      new Promise((resolve) => {
        trap = { pattern: Buffer.from(pattern), resolve }
      }),
    cutAll: () => {
      for (const c of [...open]) c.cut()
    },
    close: async () => {
      for (const c of [...open]) c.cut()
      for (const c of [...clients]) c.resetAndDestroy()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}
