/**
 * Decoder throughput: pgferry's pgoutput decoder side by side with pg-logical-replication's parser
 * on the same message buffers.
 *
 * The stream is captured at run time from a real PostgreSQL 17 (proto 1, the protocol the other
 * parser speaks): 300k inserts in 30 transactions, 150k updates, 60k deletes, about 510k messages.
 * Each parser is fed every XLogData payload (one pgoutput message per Buffer) in order, several
 * passes after a warm-up; the best pass counts. A second figure runs our whole receive path
 * (framer over the raw socket bytes + XLogData header + decoder) for context.
 *
 *   npm run bench:decoder
 *
 * Note: pg-logical-replication converts column values to JavaScript types (that is its design);
 * ours keeps the server's bytes, which is what pgferry's applier sends on.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { PassThrough, type Duplex } from 'node:stream'
import { performance } from 'node:perf_hooks'
import pg from 'pg'
import { PgoutputParser } from 'pg-logical-replication/dist/output-plugins/pgoutput/pgoutput-parser.js'
import { startCluster } from '../test/harness/cluster.js'
import { BackendCode, CopyBothFramer, FrameResult } from '../src/wal/copy-both-framer.js'
import { PgoutputDecoder } from '../src/wal/pgoutput-decoder.js'
import { MessageType } from '../src/wal/pgoutput-messages.js'
import { ReplicationStream } from '../src/wal/replication-stream.js'
import { ReplicationCode, XLOGDATA_HEADER } from '../src/wal/standby-messages.js'

const PASSES = 5

/** pg-copy-streams' copy-both duplex (its published types lack `both`). */
const copyBoth = (
  createRequire(import.meta.url)('pg-copy-streams') as {
    both: (
      text: string,
      options: { alignOnCopyDataFrame: boolean },
    ) => Duplex & {
      submit(connection: { stream: PassThrough; query(text: string): void }): void
    }
  }
).both

async function captureStream(): Promise<Buffer> {
  const cluster = await startCluster({ major: 17 })
  try {
    const db = await cluster.createDatabase('bench')
    const client = await cluster.client(db)
    try {
      await client.query(`CREATE TABLE orders (id bigint PRIMARY KEY, customer int NOT NULL, amount numeric(12,2),
        status text, created timestamptz, note text)`)
      await client.query(`CREATE TABLE marker (id int PRIMARY KEY)`)
      await client.query(`CREATE PUBLICATION pub FOR ALL TABLES`)
      await client.query(`SELECT pg_create_logical_replication_slot('bench', 'pgoutput')`)
      await client.query(`DO $$ BEGIN
        FOR i IN 0..29 LOOP
          INSERT INTO orders SELECT g, g % 1000, (g * 1.5)::numeric(12,2),
            (ARRAY['new','paid','shipped','void'])[1 + g % 4], '2024-01-01'::timestamptz + g * interval '1 minute',
            CASE WHEN g % 3 = 0 THEN NULL ELSE md5(g::text) END
          FROM generate_series(i * 10000 + 1, (i + 1) * 10000) g;
          COMMIT;
        END LOOP; END $$`)
      await client.query(
        `UPDATE orders SET status = 'shipped', amount = amount + 1 WHERE id % 2 = 0`,
      )
      await client.query(`DELETE FROM orders WHERE id % 5 = 0`)
      await client.query(`INSERT INTO marker VALUES (1)`)
    } finally {
      await client.end()
    }
    const repl = new pg.Client({
      ...cluster.config(db),
      replication: 'database',
    } as pg.ClientConfig)
    repl.on('error', () => undefined)
    await repl.connect()
    const chunks: Buffer[] = []
    const socket = (repl as unknown as { connection: { stream: NodeJS.ReadableStream } }).connection
      .stream
    socket.on('data', (c: Buffer) => chunks.push(c))
    let done!: () => void
    const seen = new Promise<void>((r) => (done = r))
    const stream = await ReplicationStream.start(
      repl,
      { slot: 'bench', publications: ['pub'], protoVersion: 1, messages: false, streaming: false },
      (m) => {
        if (m.type === MessageType.Insert && m.relation.name === 'marker') done()
      },
    )
    await seen
    await stream.stop()
    await repl.end()
    const all = Buffer.concat(chunks)
    let at = 0
    while (all[at] !== BackendCode.CopyBothResponse) at += 1 + all.readUInt32BE(at + 1)
    return all.subarray(at)
  } finally {
    await cluster.stop()
  }
}

/** The XLogData payloads (one pgoutput message each) of a raw capture. */
function messagesOf(raw: Buffer): Buffer[] {
  const out: Buffer[] = []
  const framer = new CopyBothFramer({
    frame(code, buffer, start, end) {
      if (code === BackendCode.CopyData && buffer[start] === ReplicationCode.XLogData) {
        out.push(buffer.subarray(start + XLOGDATA_HEADER, end))
      }
      return FrameResult.Continue
    },
  })
  framer.push(raw)
  return out
}

function best(run: () => void): number {
  run() // warm-up
  let min = Infinity
  for (let i = 0; i < PASSES; i++) {
    const t = performance.now()
    run()
    min = Math.min(min, performance.now() - t)
  }
  return min / 1000
}

// PGFERRY_BENCH_CAPTURE=<file> keeps the captured bytes between runs (handy when tuning)
const cacheFile = process.env.PGFERRY_BENCH_CAPTURE
const raw =
  cacheFile !== undefined && existsSync(cacheFile) ? readFileSync(cacheFile) : await captureStream()
if (cacheFile !== undefined && !existsSync(cacheFile)) writeFileSync(cacheFile, raw)
const messages = messagesOf(raw)
const bytes = messages.reduce((n, m) => n + m.length, 0)
const count = messages.length
if (count < 500_000) throw new Error(`captured only ${count} messages`)

let sink = 0
const ours = best(() => {
  const decoder = new PgoutputDecoder()
  for (let i = 0; i < count; i++) sink += decoder.decode(messages[i] as Buffer).type
})
const theirs = best(() => {
  const parser = new PgoutputParser()
  for (let i = 0; i < count; i++) sink += parser.parse(messages[i] as Buffer).tag.length
})
// for context: the same, with every column turned into a JS string (what a text consumer pays)
const withText = best(() => {
  const decoder = new PgoutputDecoder()
  for (let i = 0; i < count; i++) {
    const m = decoder.decode(messages[i] as Buffer)
    if (m.type === MessageType.Insert || m.type === MessageType.Update) {
      for (let c = 0; c < m.newTuple.length; c++) sink += m.newTuple.text(c)?.length ?? 0
    } else if (m.type === MessageType.Delete) {
      for (let c = 0; c < m.oldTuple.length; c++) sink += m.oldTuple.text(c)?.length ?? 0
    }
  }
})
// the whole receive path over the socket bytes, in 64 KiB reads as a socket delivers them
const reads: Buffer[] = []
for (let at = 0; at < raw.length; at += 65536) reads.push(raw.subarray(at, at + 65536))
const pipeline = best(() => {
  const decoder = new PgoutputDecoder()
  const framer = new CopyBothFramer({
    frame(code, buffer, start, end) {
      if (code === BackendCode.CopyData && buffer[start] === ReplicationCode.XLogData) {
        sink += decoder.decode(buffer, start + XLOGDATA_HEADER, end).type
      }
      return FrameResult.Continue
    },
  })
  for (const r of reads) framer.push(r)
})

// the transport choice: reframing the same socket reads into CopyData payloads with
// pg-copy-streams' copy-both duplex (aligned on frames) versus our framer
async function copyStreamsPass(): Promise<number> {
  const socket = new PassThrough()
  socket.on('data', () => undefined) // stands in for pg's parser, which the duplex detaches
  const duplex = copyBoth('START_REPLICATION', { alignOnCopyDataFrame: true })
  duplex.submit({ stream: socket, query: () => undefined })
  let n = 0
  const t = performance.now()
  const ended = new Promise<void>((resolve) => duplex.on('end', resolve))
  duplex.on('data', (payload: Buffer) => {
    if (payload[0] === ReplicationCode.XLogData) n++
  })
  for (const r of reads) socket.write(r)
  await ended
  if (n !== count) throw new Error(`pg-copy-streams framed ${n} of ${count} messages`)
  return (performance.now() - t) / 1000
}
await copyStreamsPass()
let copyStreams = Infinity
for (let i = 0; i < PASSES; i++) copyStreams = Math.min(copyStreams, await copyStreamsPass())
const framing = best(() => {
  let n = 0
  const framer = new CopyBothFramer({
    frame(code, buffer, start) {
      if (code === BackendCode.CopyData && buffer[start] === ReplicationCode.XLogData) n++
      return FrameResult.Continue
    },
  })
  for (const r of reads) framer.push(r)
  if (n !== count) throw new Error(`framed ${n} of ${count} messages`)
})

const mb = bytes / 1024 / 1024
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')
console.log(
  `stream: ${fmt(count)} messages, ${mb.toFixed(1)} MiB of pgoutput payload (${(raw.length / 1024 / 1024).toFixed(1)} MiB on the wire), PostgreSQL 17, proto 1`,
)
console.log(`best of ${PASSES} passes after a warm-up; node ${process.version}`)
const line = (label: string, seconds: number, megabytes: number, note = ''): void =>
  console.log(
    `${label.padEnd(30)} ${fmt(count / seconds).padStart(11)} msgs/s ${(megabytes / seconds).toFixed(1).padStart(7)} MB/s${note}`,
  )
line('pgferry decoder', ours, mb)
line('pg-logical-replication parser', theirs, mb)
line('pgferry decoder + text values', withText, mb)
const wire = raw.length / 1024 / 1024
line('pgferry framer + decoder', pipeline, wire, ' (wire bytes, 64 KiB reads)')
line('framing only: pgferry framer', framing, wire, ' (wire bytes)')
line('framing only: pg-copy-streams', copyStreams, wire, ' (wire bytes, copy-both duplex)')
if (sink === 0) console.log('(sink)')
console.log(
  `RESULT name=decoder msgs_per_s=${Math.round(count / ours)} mb_per_s=${(mb / ours).toFixed(1)} ratio=${(theirs / ours).toFixed(2)}`,
)
