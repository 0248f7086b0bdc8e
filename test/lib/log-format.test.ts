import t from 'tap'
import { pino } from 'pino'
import { loggerOptions } from '../../src/app.js'
import { chooseLogFormat, formatLogLine, prettyDestination } from '../../src/lib/log-format.js'

t.test('pretty on a terminal, JSON otherwise, LOG_FORMAT wins', async (t) => {
  t.equal(chooseLogFormat(null, true), 'pretty')
  t.equal(chooseLogFormat(null, false), 'json')
  t.equal(chooseLogFormat('json', true), 'json')
  t.equal(chooseLogFormat('pretty', false), 'pretty')
})

t.test('a record as one readable line: time, level, message, fields', async (t) => {
  const time = Date.UTC(2026, 11, 8, 12, 30, 5, 123)
  const line = JSON.stringify({
    level: 30, time, pid: 1, hostname: 'h', msg: 'request completed', req: { method: 'GET', path: '/health' },
    res: { statusCode: 200 }, responseTime: 1.25, note: 'two words'
  })
  t.equal(formatLogLine(line),
    '12:30:05.123 INFO  request completed req.method=GET req.path=/health res.statusCode=200 responseTime=1.25 ' +
    'note="two words"\n')
  t.match(formatLogLine(JSON.stringify({ level: 40, time, msg: 'careful' })), /^12:30:05\.123 WARN {2}careful\n$/)
  t.match(formatLogLine(JSON.stringify({ level: 50, time, msg: 'x' }), true), '\u001b[31mERROR\u001b[0m',
    'coloured on a terminal')
  t.equal(formatLogLine(JSON.stringify({ level: 35, time, msg: 'custom', list: [1, 2] })),
    '12:30:05.123 35    custom list=[1,2]\n')
  t.equal(formatLogLine('not json'), 'not json\n', 'what is not a record passes as it came')
  t.equal(formatLogLine('[1]\n'), '[1]\n')
  const failed = formatLogLine(JSON.stringify({ level: 50, time, msg: 'boom', err: { type: 'Error', message: 'no', stack: 'Error: no\n    at x' } }))
  t.equal(failed, '12:30:05.123 ERROR boom\n    Error: no\n        at x\n', 'an error\'s stack indented below')
  t.equal(formatLogLine(JSON.stringify({ level: 50, time, msg: 'boom', err: { message: 'no stack' } })),
    '12:30:05.123 ERROR boom err="no stack"\n')
})

t.test('the pretty destination writes what pino redacted: personal data stays out', async (t) => {
  let written = ''
  const destination = prettyDestination({ write: (text: string) => { written += text } })
  const log = pino(loggerOptions('info') as object, destination)
  log.info({ iin: '900101300123', email: 'payer@example.kz', req: { method: 'GET', url: '/v1/x?iin=900101300123', id: 'r1' } },
    'looked up')
  t.match(written, /INFO {2}looked up/)
  t.notMatch(written, /900101300123/, 'no IIN, neither as a field nor from the query string')
  t.notMatch(written, /payer@example\.kz/, 'no email')
  t.match(written, 'req.path=/v1/x')
})
