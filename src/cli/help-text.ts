/**
 * `--help` for the tool and for each command.
 */
import type { CommandName } from './parse-command-line.js'

const CONNECTIONS = `Connections:
  --source URL              postgres://user@host:port/database (with ?sslmode=… if needed)
  --target URL              postgres://user@host:port/database (progress is kept in a 'pgferry'
                            schema of this database)
  PGFERRY_SOURCE, PGFERRY_TARGET   the URLs, when the flags are not given
  SSL: ?sslmode=disable|prefer|require|verify-ca|verify-full and &sslrootcert=FILE, as in libpq.
  A task keeps its servers without passwords: resume, complete and delete need only the task ID
  (or a unique prefix of it) and --target (where the task is kept).
  Passwords: in the URL (user:secret@host), or, to keep them out of the shell history and the
  process list, in the environment or a file (its first line):
    PGFERRY_SOURCE_PASSWORD   --source-password-file FILE   password for the source
    PGFERRY_TARGET_PASSWORD   --target-password-file FILE   password for the target
  resume, complete and delete ask for a password the task needs on the terminal (not echoed).
  The output names servers as host:port/database only; passwords are never printed or stored.`

const SELECTION = `What to migrate (default: the database named in --source):
  --objects instance        every database, plus roles
  --database DB[:AS]        a whole database (renamed AS on the target); repeat for more
  --schema S[:AS]           only schema S of the database (renamed AS); repeat for more
  --tables [S.]T,…          only these tables (schema public when not named)
  --exclude-tables S.T,…    leave these tables of the --schema schemas out
  --include-dependencies    add what the selection depends on (a view's tables, FK targets)

Settings from a file:
  --config FILE.json        the task's settings under their library names: {"type", "name",
                            "objects", "parallelism", "throttle", "startAt", "tags",
                            "replicaIdentity", "publication", "skip", "targetFreeBytes", …};
                            or the selection alone: "instance" or {"databases": {…}}.
                            Flags on the command line win over the file.`

const EXITS = `Exit codes: 0 done, 1 failed (precheck or migration), 2 bad usage, 3 paused by
'pgferry pause' from elsewhere, 130 interrupted (Ctrl-C or SIGTERM, in any stage); paused or
interrupted, the task stays resumable.`

const OUTPUT = `Output:
  --json                    one JSON object per event line instead of progress bars
  --verbose, -v             also every object created, table started, apply batch, state move,
                            and which worker claimed and finished each job (tasks with workers)
  --quiet, -q               nothing on stdout; errors on stderr, the exit code says the rest`

const TOOL = `pgferry: migrate a PostgreSQL instance into another, online.

Usage: pgferry <command> [arguments] [flags]

Commands:
  run        create a task, precheck it, and run its stages with progress
  precheck   check source and target for a migration, without writing anything
  list       list the tasks kept on a target
  status     show one task: running or stopped, its stage, recent warnings and errors, what next
  events     show a task's kept event log
  pause      stop a task that another process runs, as Ctrl-C there would; resumable
  resume     continue a task (after an interruption, a failure, or a paused sync)
  complete   cut a full+incremental task over: drain, sequences, verify, drop the slot
  verify     compare the target with the source: every row by checksum, a sample, or counts
  delete     delete a task and what it left on the servers (slot, publication, progress)
  worker     run full-load jobs from a job queue, for tasks created with workers

Run 'pgferry <command> --help' for a command's flags; 'pgferry --version' for the version.

${CONNECTIONS}

${EXITS}`

const RUN = `Usage: pgferry run --source URL --target URL --type TYPE [flags]

Creates a task, runs the precheck (prints each failing item with its fix; if it fails, exits 1 and
does not keep the task), then the stages: structure, full load (tables, bytes, %, ETA), and for full+incremental
the change stream, printing the lag. Without --complete-after-sync the sync runs until SIGINT or
SIGTERM; the task is then closed with its replication slot kept, and 'pgferry resume' or
'pgferry complete' continue it.

Flags:
  --type TYPE               structure | full | full+incremental (required)
  --name NAME               a name for people (default: "<source> to <target>")
  --parallelism N           concurrent COPY and index workers (default: cores, 2 to 8)
  --throttle RATE           cap the full load's reads of the source: 50MB (bytes per second;
                            k, M, G) or 2000rows (rows per second)
  --start-at TIME           start the work at this time (ISO 8601, e.g. 2026-12-24T22:00:00Z)
  --tag KEY=VALUE           a label kept with the task; repeat for more
  --target-free-bytes N     free bytes on the target's disk (PostgreSQL cannot tell): the
                            free-space precheck then passes or fails instead of warning
  --replica-identity full-for-keyless
                            full+incremental: set REPLICA IDENTITY FULL on source tables without
                            a key for the task's life (restored at complete/delete); by default
                            such tables fail the precheck and are never published
  --publication NAME        full+incremental: a publication a DBA made on the source (checked,
                            never dropped); default: pgferry creates and drops its own
  --skip ID[,ID…]           precheck items to skip (e.g. source.open-transactions)
  --complete-after-sync     full+incremental: complete as soon as the sync has caught up
  --lease-stale-after S     take over the task's lease from a holder with no heartbeat for S
                            seconds (default 30; a holder gone from this host at once)

${OUTPUT}

${SELECTION}

${CONNECTIONS}

${EXITS}`

const PRECHECK = `Usage: pgferry precheck --source URL --target URL --type TYPE [flags]

Runs every precheck item and prints the report, each failing or warning item with its fix.
Nothing is written to either server (the check is not kept as a task).

Flags:
  --type TYPE               structure | full | full+incremental (required)
  --skip ID[,ID…]           items to skip
  --json                    print the report as JSON
  --target-free-bytes N     as for 'run'
  --parallelism N           as for 'run' (checked against the servers' worker settings)
  --throttle RATE           as for 'run' (the bandwidth estimate uses it)
  --replica-identity full-for-keyless
                            as for 'run'
  --publication NAME        as for 'run' (checked: it must cover the selection)

${SELECTION}

${CONNECTIONS}

Exit codes: 0 the precheck passed, 1 it failed, 2 bad usage.`

const LIST = `Usage: pgferry list --target URL [--json]

Lists the tasks kept in the target's 'pgferry' schema: id, type, state, stage, last update, name.

${CONNECTIONS}`

const STATUS = `Usage: pgferry status ID --target URL [--source URL] [--watch [--interval S]] [--json]

Shows one task: whether a process runs it now (the pid and host holding its lease) or it is
stopped, its state, the stage it is in or last ran, its last error, each table of its full load
(waiting, copying, building indexes, done; rows and bytes), the load's percent and post-data
steps, the sync's lag in bytes and seconds, the WAL its slot retains and the rows and
transactions applied per second (from the running process's last heartbeat), the worker
processes of a load with workers seen in the last 15 minutes (id, pid, host, the job each holds,
last beat), recent warnings and errors, its servers, and the command to run next. With --source, also each replication slot it
holds there, read from the source (a slot 'lost' means the task must load again).
Exit 1 when no task has that ID. Creates nothing on the target.

Flags:
  --watch                   redraw the status every --interval seconds until Ctrl-C
  --interval S              seconds between redraws (default 2)
  --json                    the status as one JSON line ({"type":"status",…}); with --watch,
                            one line per redraw

${CONNECTIONS}`

const WORKER = `Usage: pgferry worker --queue URL [--concurrency N] [--json]

Runs the full-load jobs (chunk copies, index and constraint builds) of every task whose workers'
queue is URL, N at a time (default 2), until SIGINT/SIGTERM; running jobs finish first. Start as
many as you like, on any machine that reaches the queue, the source and the target. Each job
names its task; the task's settings come from its store, the passwords from
PGFERRY_SOURCE_PASSWORD and PGFERRY_TARGET_PASSWORD (the queue's from its URL). It prints a line
per job it claims and finishes; 'pgferry status ID' lists a task's workers (id, pid, host, the job
each holds, last beat).

Flags:
  --queue URL               the job queue database the tasks' workers.queue names (required)
  --concurrency N           jobs run at once, 1 to 64 (default 2)
  --json                    one JSON line per job event ({"type":"worker:job",…})`

const EVENTS = `Usage: pgferry events ID --target URL [--follow [--interval S]] [--json]

Shows a task's kept events, oldest first: state changes, finished stages, warnings and errors.
Creates nothing on the target.

Flags:
  --follow                  keep reading new events as they are kept, until the task is completed
                            or no process runs it, or Ctrl-C
  --interval S              seconds between reads with --follow (default 1)
  --json                    one JSON line per event ({"type": EVENT, "at": TIME, …})

${CONNECTIONS}`

const PAUSE = `Usage: pgferry pause ID --target URL [--json]

Stops a task that another process runs (in another terminal, on another host, or a service that
embeds pgferry) as Ctrl-C in its terminal would: its stage stops, its sync stops, the replication
slot and the task's state are kept, and 'pgferry resume ID' continues it. The request is kept in
the task's store; the running process sees it with its next heartbeat (every 5 s) and exits 3.
pause waits until it has stopped; Ctrl-C stops the waiting only (the request stays).

Exit codes: 0 the process stopped, 1 no process runs the task (nothing is changed; 'pgferry
status ID' shows it), 2 bad usage, 130 interrupted while waiting.

${CONNECTIONS}`

const RESUME = `Usage: pgferry resume ID --target URL [flags]

Continues a task where it stopped: stages already done are skipped, the full load copies only what
is not done, and a full+incremental task syncs again from its slot until SIGINT/SIGTERM. The
source is the one the task was created with (--source URL replaces it).

Flags:
  --skip ID[,ID…]           precheck items to skip, if the precheck has not passed yet
  --target-free-bytes N     as for 'run', if the precheck has not passed yet
  --complete-after-sync     full+incremental: complete as soon as the sync has caught up
  --takeover                run the task even though another process holds its lease (only
                            when that process is gone: killed, or on a host that went down)
  --lease-stale-after S     take over the task's lease from a holder with no heartbeat for S
                            seconds (default 30; a holder gone from this host at once)

${OUTPUT}

One process runs a task at a time: while another holds it (a live heartbeat), resume is refused
with that process's pid and host.

${CONNECTIONS}

${EXITS}`

const COMPLETE = `Usage: pgferry complete ID --target URL [--takeover] [--lease-stale-after S] [--json]

Cuts a full+incremental task over. Stop writes to the source first: complete drains the changes
up to the source's current WAL position, sets sequences, verifies every row by checksum (a
difference fails it, naming the keys, before anything is dropped), and drops the slot,
publication and replication origin. Stop the process that syncs the task first (Ctrl-C there,
or 'pgferry pause ID').

Flags:
  --takeover                run the task even though another process holds its lease (only
                            when that process is gone: killed, or on a host that went down)
  --lease-stale-after S     take over the task's lease from a holder with no heartbeat for S
                            seconds (default 30; a holder gone from this host at once)

${CONNECTIONS}

${EXITS}`

const VERIFY = `Usage: pgferry verify ID --source URL --target URL [--mode MODE] [--sample PCT]
       [--tables T,…] [--json]

Compares the target with the source, table by table, over what the task migrated. Each server
hashes its own rows in chunks of key ranges; only the rows of chunks that differ are fetched.
Writes nothing; runs at any time after the full load. Exits 0 when equal, 1 on a difference
(each printed with its table and key).

Flags:
  --mode MODE               checksum (default): every row; sample: a share of each table's
                            chunks; count: row counts only
  --sample PCT              sample: the percentage of chunks checked (default 10)
  --tables T,…              only these tables, as schema.table or database.schema.table
  --json                    the report as one JSON line

${CONNECTIONS}

${EXITS}`

const DELETE = `Usage: pgferry delete ID --target URL

Deletes a task: drops the replication slot and publication it created on the source, the origin
on the target, and its progress rows. Migrated data on the target is left as it is.

${CONNECTIONS}`

/** The help text of the tool (`undefined`) or of one command. */
export function helpText(command: CommandName | undefined): string {
  switch (command) {
    case undefined:
      return TOOL
    case 'run':
      return RUN
    case 'precheck':
      return PRECHECK
    case 'list':
      return LIST
    case 'status':
      return STATUS
    case 'events':
      return EVENTS
    case 'pause':
      return PAUSE
    case 'resume':
      return RESUME
    case 'complete':
      return COMPLETE
    case 'verify':
      return VERIFY
    case 'delete':
      return DELETE
    case 'worker':
      return WORKER
  }
}
