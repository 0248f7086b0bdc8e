import { readdirSync, readFileSync } from 'node:fs'

/** Linux's USER_HZ: /proc reports times in ticks of 1/100 s on every architecture Node runs on. */
const TICKS_PER_SECOND = 100

/**
 * CPU seconds spent so far by every process named `postgres` on this machine
 * (the server, its backends, background workers, and through the server's
 * children times the backends that have exited), read from /proc. Null where
 * there is no /proc or no such process: a database on another machine (a
 * BENCH_DATABASE_URL elsewhere) cannot be measured from here.
 */
function postgresCpuSeconds (): number | null {
  let pids: string[]
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name))
  } catch {
    return null
  }
  let ticks = 0
  let found = false
  for (const pid of pids) {
    let stat: string
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    } catch {
      continue // gone meanwhile
    }
    // `pid (comm) state ppid …`: comm may hold spaces and parentheses, the fields after the last `)` are fixed
    const close = stat.lastIndexOf(')')
    if (stat.slice(stat.indexOf('(') + 1, close) !== 'postgres') continue
    const fields = stat.slice(close + 2).split(' ')
    // utime, stime, cutime, cstime: fields 14 to 17 of proc(5), 11 to 14 counted from the state
    ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])
    found = true
  }
  return found ? ticks / TICKS_PER_SECOND : null
}

/** CPU seconds of this process, every thread of it (the service, its worker, the import's crypto thread). */
function processCpuSeconds (): number {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1e6
}

/** CPU seconds of this process and of the local Postgres (null: not on this machine). */
export interface CpuSeconds { process: number, postgres: number | null }

export function cpuNow (): CpuSeconds {
  return { process: processCpuSeconds(), postgres: postgresCpuSeconds() }
}

/** What was spent since `before`. */
export function cpuSince (before: CpuSeconds): CpuSeconds {
  const now = cpuNow()
  return {
    process: now.process - before.process,
    postgres: now.postgres === null || before.postgres === null ? null : now.postgres - before.postgres
  }
}
