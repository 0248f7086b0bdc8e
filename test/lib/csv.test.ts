import t from 'tap'
import fc from 'fast-check'
import {
  CsvHeaderTooLong, CsvReader, MAX_FIELD_LENGTH, MAX_HEADER_LENGTH, detectDelimiter,
  type CsvReaderOptions, type Delimiter
} from '../../src/lib/csv.js'

type Limits = Omit<CsvReaderOptions, 'delimiter'>

/** Reads `text` in chunks; a null delimiter is read from the header line. */
function readAll (text: string, delimiter: Delimiter | null = ',', chunk = text.length || 1, limits: Limits = {}) {
  const reader = new CsvReader({ ...(delimiter === null ? {} : { delimiter }), ...limits })
  const records = []
  for (let i = 0; i < text.length; i += chunk) records.push(...reader.push(text.slice(i, i + chunk)))
  records.push(...reader.end())
  return records
}

t.test('records carry the line they start on, the header being line 1', async (t) => {
  t.same(readAll('a,b\n1,2\r\n3,4'), [
    { line: 1, fields: ['a', 'b'] },
    { line: 2, fields: ['1', '2'] },
    { line: 3, fields: ['3', '4'] }
  ])
})

t.test('quoted fields hold delimiters, quotes and line breaks', async (t) => {
  const records = readAll('name;note\n"Иванов; Иван";"он сказал ""да""\nи ушёл"\nx;""\n', ';')
  t.same(records, [
    { line: 1, fields: ['name', 'note'] },
    { line: 2, fields: ['Иванов; Иван', 'он сказал "да"\nи ушёл'] },
    { line: 4, fields: ['x', ''] }
  ])
})

t.test('blank lines are skipped but still counted', async (t) => {
  t.same(readAll('a\n\n\nb\n'), [{ line: 1, fields: ['a'] }, { line: 4, fields: ['b'] }])
})

t.test('an unclosed quote is a syntax error naming its line', async (t) => {
  t.throws(() => readAll('a\n"open,1\n2'), { message: /^line 2: a quoted field is not closed/ })
})

t.test('the delimiter is read from the header', async (t) => {
  t.equal(detectDelimiter('contract_number;debtor_iin;debtor_name'), ';')
  t.equal(detectDelimiter('contract_number,debtor_iin,debtor_name'), ',')
})

t.test('chunk boundaries never change the result', async () => {
  const field = fc.string({ unit: fc.constantFrom('a', 'Ә', ',', '"', '\n', '\r', ' ', '1'), maxLength: 8 })
  const quote = (f: string) => `"${f.replaceAll('"', '""')}"`
  const rowsOf = fc.array(fc.array(field, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 })
  const chunks = fc.integer({ min: 1, max: 7 })
  const fieldLimits = fc.integer({ min: 1, max: 9 })
  fc.assert(fc.property(rowsOf, chunks, fieldLimits, (rows, chunk, maxFieldLength) => {
    const text = rows.map((r) => r.map(quote).join(',')).join('\r\n')
    const limits = { maxFieldLength }
    const whole = readAll(text, ',', undefined, limits)
    const pieces = readAll(text, ',', chunk, limits)
    const detected = readAll(text, null, chunk, limits) // no ';' in these fields: the delimiter read is ','
    // what the limits leave of each row: the header's width and one more field, each field cut at the limit
    const width = rows[0]!.length
    const expected = rows.map((r, i) => {
      const fields = r.map((f) => f.replace(/\r\n?/g, '\n'))
      const kept = i === 0 ? fields : fields.slice(0, width + 1)
      const longField = kept.findIndex((f) => f.length > maxFieldLength)
      return {
        fields: kept.map((f) => f.slice(0, maxFieldLength)),
        tooWide: i > 0 && r.length > width,
        longField: longField === -1 ? undefined : longField
      }
    })
    const read = whole.map((r) => ({ fields: r.fields, tooWide: r.tooWide === true, longField: r.longField }))
    return JSON.stringify(whole) === JSON.stringify(pieces) && JSON.stringify(detected) === JSON.stringify(whole) &&
      JSON.stringify(read) === JSON.stringify(expected)
  }))
})

t.test('a record wider than the header keeps one field more than the header, however many it has', async (t) => {
  const commas = ','.repeat(8 * 1024 * 1024)
  const records = readAll(`a,b,c\n1,2${commas}\n4,5,6\n`, ',', 64 * 1024)
  t.same(records[1], { line: 2, fields: ['1', '2', '', ''], tooWide: true }, 'four fields of eight million')
  t.same(records[2], { line: 3, fields: ['4', '5', '6'] }, 'the next record is whole')
  t.same(readAll('a,b\n1\n1,2\n').map((r) => r.tooWide), [undefined, undefined, undefined], 'narrower is not wider')
})

t.test('a field longer than the limit is cut there and its record marked; memory stays at the limit', async (t) => {
  const long = 'я'.repeat(8 * 1024 * 1024)
  const records = readAll(`a,b\nx,${long}\n"${long}""${long}",y\nx,y`, ',', 64 * 1024)
  t.equal(records.length, 4)
  t.same(records[1]!.fields.map((f) => f.length), [1, MAX_FIELD_LENGTH])
  t.equal(records[1]!.longField, 1)
  t.same(records[2]!.fields.map((f) => f.length), [MAX_FIELD_LENGTH, 1])
  t.equal(records[2]!.longField, 0, 'a quoted field too, its line breaks and quotes read on past the cut')
  t.same(records[3], { line: 4, fields: ['x', 'y'] })
})

const TOO_LONG = { message: /^line 1: the header line is longer than 65536 characters$/ }

t.test('the header line is read within its limit: the delimiter found there, anything longer refused', async (t) => {
  const semicolons = [{ line: 1, fields: ['a', 'b'] }, { line: 2, fields: ['1', '2\n3'] }]
  t.same(readAll('a;b\n1;"2\n3"', null, 1), semicolons, 'the delimiter is read from the header')
  t.same(readAll('a;b', null, 2), [{ line: 1, fields: ['a', 'b'] }], 'a file of a header alone, without a line break')
  const exactly = 'h'.repeat(MAX_HEADER_LENGTH)
  t.same(readAll(`${exactly}\r\n1`, null, 1000).map((r) => r.line), [1, 2], 'a header at the limit is taken')

  // a line of 16 MiB without a break: refused once the limit is passed, in one piece or in many,
  // so the work done is the limit's, not the line's (nothing is searched twice)
  const line = 'x,'.repeat(8 * 1024 * 1024)
  t.throws(() => new CsvReader().push(line), TOO_LONG)
  const caught = (() => { try { new CsvReader().push(line) } catch (error) { return error } })()
  t.ok(caught instanceof CsvHeaderTooLong, 'an error of its own kind: the upload answers invalid_csv_header')
  const reader = new CsvReader()
  let pushed = 0
  t.throws(() => {
    for (let at = 0; at < line.length; at += 1024) { reader.push(line.slice(at, at + 1024)); pushed++ }
  }, TOO_LONG)
  t.equal(pushed, MAX_HEADER_LENGTH / 1024, 'refused at the piece that passes 64 KB')
  t.throws(() => readAll(`${exactly}h\n`, null), TOO_LONG, 'one character more is refused')
  t.throws(() => readAll(`${exactly}h`, null), TOO_LONG, 'also when the file ends there')
})

t.test('quotes cannot carry the header past its limit', async (t) => {
  // the first line is short, the record is not: its quoted field runs on over line breaks, then commas follow
  const carried = `"a\n${'b\n'.repeat(MAX_HEADER_LENGTH)}",${','.repeat(1024 * 1024)}\n`
  t.throws(() => readAll(carried, null, 4096), TOO_LONG)
  t.throws(() => readAll(carried, ','), TOO_LONG, 'with the delimiter given too')
})
