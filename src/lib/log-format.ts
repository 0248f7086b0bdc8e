// Readable log lines for a terminal. pino serialises and redacts every record first (app.ts loggerOptions), then
// hands the JSON line to the destination stream; this stream turns that line into one a person reads. Whatever
// pino redacted is already '[redacted]' here: the formatter sees nothing the JSON log would not have shown.

export type LogFormat = 'json' | 'pretty'

/** What pino needs of a destination: a write of one serialised record (a JSON line). */
export interface LogDestination {
  write: (line: string) => void
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' }
const COLOURS: Record<number, string> = { 10: '90', 20: '90', 30: '32', 40: '33', 50: '31', 60: '35' }
/** pino's own fields, shown in the line's head or not at all. */
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'v'])

/** `pretty` when asked, or when nothing was asked and the output is a terminal; `json` otherwise. */
export function chooseLogFormat (asked: LogFormat | null, isTty: boolean): LogFormat {
  return asked ?? (isTty ? 'pretty' : 'json')
}

function fieldValue (value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value)
  if (value === null || typeof value !== 'object') return String(value)
  return JSON.stringify(value)
}

/** Nested objects flattened one level: `req.method=GET req.path=/health`. */
function fields (record: Record<string, unknown>): string[] {
  const out: string[] = []
  for (const [key, value] of Object.entries(record)) {
    if (HIDDEN.has(key) || key === 'err' || value === undefined) continue
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [inner, innerValue] of Object.entries(value as Record<string, unknown>)) {
        if (innerValue !== undefined) out.push(`${key}.${inner}=${fieldValue(innerValue)}`)
      }
    } else {
      out.push(`${key}=${fieldValue(value)}`)
    }
  }
  return out
}

function clock (time: unknown): string {
  const date = typeof time === 'number' ? new Date(time) : new Date()
  return date.toISOString().slice(11, 23)
}

/**
 * One pino JSON line as `12:30:05.123 INFO  message key=value …`, an error's stack indented below it. A line that
 * is not a JSON object is passed through as it came.
 */
export function formatLogLine (line: string, colour = false): string {
  let record: unknown
  try { record = JSON.parse(line) } catch { return line.endsWith('\n') ? line : `${line}\n` }
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return `${line.trimEnd()}\n`
  const r = record as Record<string, unknown>
  const level = typeof r.level === 'number' ? r.level : 30
  const name = (LEVELS[level] ?? String(level)).padEnd(5)
  const head = colour ? `\u001b[${COLOURS[level] ?? '0'}m${name}\u001b[0m` : name
  const message = typeof r.msg === 'string' ? r.msg : ''
  const err = r.err as { type?: unknown, message?: unknown, stack?: unknown } | undefined
  const parts = [clock(r.time), head, message, ...fields(r)]
  if (err !== undefined && err !== null && typeof err === 'object' && typeof err.stack !== 'string') {
    parts.push(`err=${fieldValue(err.message ?? err)}`)
  }
  let text = parts.filter((part) => part !== '').join(' ')
  if (err !== undefined && err !== null && typeof err === 'object' && typeof err.stack === 'string') {
    text += `\n${err.stack.split('\n').map((l) => `    ${l}`).join('\n')}`
  }
  return `${text}\n`
}

/** A pino destination writing readable lines to `out` (the process's stdout by default). */
export function prettyDestination (
  out: { write: (text: string) => unknown, isTTY?: boolean } = process.stdout
): LogDestination {
  const colour = out.isTTY === true
  return { write: (line: string) => { out.write(formatLogLine(line, colour)) } }
}
