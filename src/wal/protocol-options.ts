/**
 * Which pgoutput options to send, by server version. pgoutput rejects an option it does not know
 * with a hard error ("unrecognized pgoutput option"), and a proto_version above its maximum
 * likewise, so nothing is sent that the server's major lacks:
 *
 * | server | max proto_version | options added                                   |
 * | ------ | ----------------- | ----------------------------------------------- |
 * | 10–13  | 1                 | publication_names                               |
 * | 14     | 2                 | binary, messages, streaming (bool; needs 2)     |
 * | 15     | 3                 | two_phase (needs 3)                             |
 * | 16+    | 4                 | streaming 'parallel' (needs 4)                  |
 */
import { PgferryError } from '../errors.js'
import { quoteIdent } from '../pg/quote.js'

/** What the caller asks for; `undefined` means "the best this server offers". @public */
export interface ProtocolRequest {
  /** Send values in binary where the type has a send function (v14+). Defaults to false. */
  readonly binary?: boolean
  /** Receive `pg_logical_emit_message` messages (v14+). Defaults to true where supported. */
  readonly messages?: boolean
  /** Stream large in-progress transactions (v14+). Defaults to true where supported. */
  readonly streaming?: boolean
  /** Decode PREPARE TRANSACTION at prepare time (v15+). Defaults to false. */
  readonly twoPhase?: boolean
  /** Force a protocol version. Defaults to the server's highest. */
  readonly protoVersion?: number
}

/** The options that will be sent. @public */
export interface NegotiatedProtocol {
  readonly serverVersionNum: number
  readonly protoVersion: number
  readonly binary: boolean
  readonly messages: boolean
  readonly streaming: false | 'on' | 'parallel'
  readonly twoPhase: boolean
}

/** Highest pgoutput protocol version of a server (LOGICALREP_PROTO_MAX_VERSION_NUM). @public */
export function maxProtoVersion(serverVersionNum: number): number {
  if (serverVersionNum >= 160000) return 4
  if (serverVersionNum >= 150000) return 3
  if (serverVersionNum >= 140000) return 2
  return 1
}

function unsupported(option: string, needs: string, serverVersionNum: number): PgferryError {
  return new PgferryError(
    'PGFERRY_WAL_PROTOCOL',
    `pgoutput option ${option} needs PostgreSQL ${needs}; the source is ${serverVersionNum}`,
    { side: 'source', fix: `do not request ${option} for this source` },
  )
}

/**
 * Settle the options for a server: explicit `true` on a server that lacks the feature is an error
 * (the caller asked for semantics we cannot give), `undefined` falls back quietly.
 * @public
 */
export function negotiateProtocol(
  serverVersionNum: number,
  request: ProtocolRequest = {},
): NegotiatedProtocol {
  if (serverVersionNum < 100000) {
    throw new PgferryError(
      'PGFERRY_WAL_PROTOCOL',
      `pgoutput needs PostgreSQL 10 or later; the source is ${serverVersionNum}`,
    )
  }
  const max = maxProtoVersion(serverVersionNum)
  const v14 = serverVersionNum >= 140000
  const v15 = serverVersionNum >= 150000
  const v16 = serverVersionNum >= 160000
  if (request.binary === true && !v14) throw unsupported('binary', '14', serverVersionNum)
  if (request.messages === true && !v14) throw unsupported('messages', '14', serverVersionNum)
  if (request.streaming === true && !v14) throw unsupported('streaming', '14', serverVersionNum)
  if (request.twoPhase === true && !v15) throw unsupported('two_phase', '15', serverVersionNum)
  const binary = request.binary === true
  const messages = request.messages ?? v14
  const wantStreaming = request.streaming ?? v14
  const twoPhase = request.twoPhase === true
  const protoVersion = request.protoVersion ?? max
  if (!Number.isInteger(protoVersion) || protoVersion < 1 || protoVersion > max) {
    throw unsupported(
      `proto_version ${protoVersion}`,
      `with protocol ${protoVersion}`,
      serverVersionNum,
    )
  }
  // streaming needs proto 2, two_phase 3, 'parallel' 4 (pgoutput.c checks each against proto_version)
  if (wantStreaming && protoVersion < 2)
    throw unsupported('streaming', 'proto_version 2', serverVersionNum)
  if (twoPhase && protoVersion < 3)
    throw unsupported('two_phase', 'proto_version 3', serverVersionNum)
  // 'parallel' only changes Stream Abort to carry the abort LSN and time, which we decode either way
  const streaming = !wantStreaming ? false : v16 && protoVersion >= 4 ? 'parallel' : 'on'
  return { serverVersionNum, protoVersion, binary, messages, streaming, twoPhase }
}

/** Replication-grammar string literal: only '' doubling exists there (repl_scanner.l has no E''). */
function replLiteral(value: string): string {
  if (value.includes('\0')) throw new TypeError('literal contains a NUL byte')
  return `'${value.replace(/'/g, "''")}'`
}

/** The `START_REPLICATION SLOT … LOGICAL …` command for negotiated options. @public */
export function startReplicationCommand(
  slot: string,
  startLsn: string,
  publications: readonly string[],
  protocol: NegotiatedProtocol,
): string {
  if (publications.length === 0) throw new TypeError('at least one publication is needed')
  // publication_names is parsed with SplitIdentifierString: a comma list of (quoted) identifiers
  const options = [
    `proto_version '${protocol.protoVersion}'`,
    `publication_names ${replLiteral(publications.map(quoteIdent).join(','))}`,
  ]
  if (protocol.binary) options.push(`binary 'true'`)
  if (protocol.messages) options.push(`messages 'true'`)
  if (protocol.streaming !== false) options.push(`streaming '${protocol.streaming}'`)
  if (protocol.twoPhase) options.push(`two_phase 'true'`)
  return `START_REPLICATION SLOT ${quoteIdent(slot)} LOGICAL ${startLsn} (${options.join(', ')})`
}
