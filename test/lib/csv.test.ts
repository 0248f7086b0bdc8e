import t from 'tap'
import fc from 'fast-check'
import { CsvReader, detectDelimiter } from '../../src/lib/csv.js'

function readAll (text: string, delimiter: ',' | ';' = ',', chunk = text.length || 1) {
  const reader = new CsvReader(delimiter)
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
  fc.assert(fc.property(fc.array(fc.array(field, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 7 }), (rows, chunk) => {
    const text = rows.map((r) => r.map(quote).join(',')).join('\r\n')
    const whole = readAll(text)
    const pieces = readAll(text, ',', chunk)
    const normalised = rows.map((r) => r.map((f) => f.replace(/\r\n?/g, '\n')))
    return JSON.stringify(whole) === JSON.stringify(pieces) &&
      JSON.stringify(whole.map((r) => r.fields)) === JSON.stringify(normalised)
  }))
})
