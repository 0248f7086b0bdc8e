import { createHash } from 'node:crypto'
import t from 'tap'
import fc from 'fast-check'
import { randomSalt, scriptNameFromPath, signParams, verifyParams } from '../../src/bank/signature.js'

const SECRET = 'secret'

function md5 (text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex')
}

const documented = {
  pg_order_id: '23',
  pg_merchant_id: '12345',
  pg_amount: '25',
  pg_salt: 'molbulak',
  pg_description: 'test'
}

t.test('the documented init_payment.php example signs as the bank does', async (t) => {
  t.equal(signParams('init_payment.php', documented, SECRET), md5('init_payment.php;25;test;12345;23;molbulak;secret'))
  t.match(signParams('init_payment.php', documented, SECRET), /^[0-9a-f]{32}$/, 'lowercase hex')
})

t.test('pg_sig itself is never part of what is signed', async (t) => {
  const signed = { ...documented, pg_sig: signParams('init_payment.php', documented, SECRET) }
  t.equal(signParams('init_payment.php', signed, SECRET), signed.pg_sig)
})

t.test('parameters are ordered by name in code-unit order, not by value or insertion', async (t) => {
  t.equal(signParams('result', { b: '1', a: '2', B: '3', a_b: '4', ab: '5' }, SECRET), md5('result;3;2;4;5;1;secret'))
})

t.test('a callback signed by the bank is accepted', async (t) => {
  const params = { ...documented, pg_result: '1', pg_sig: signParams('result', { ...documented, pg_result: '1' }, SECRET) }
  t.ok(verifyParams('result', params, SECRET))
})

t.test('any change to a signed callback is rejected', async (t) => {
  const params = { ...documented, pg_sig: signParams('result', documented, SECRET) }
  t.notOk(verifyParams('result', { ...params, pg_amount: '26' }, SECRET), 'a value altered')
  t.notOk(verifyParams('result', { ...params, pg_result: '1' }, SECRET), 'a parameter added')
  t.notOk(verifyParams('check', params, SECRET), 'another script')
  t.notOk(verifyParams('result', params, 'other secret'), 'another secret')
  t.notOk(verifyParams('result', { ...params, pg_sig: params.pg_sig.replace(/^./, (c) => c === '0' ? '1' : '0') }, SECRET), 'the signature altered')
  t.notOk(verifyParams('result', { ...params, pg_sig: params.pg_sig.toUpperCase() }, SECRET), 'uppercase is not the documented form')
  t.notOk(verifyParams('result', { ...params, pg_sig: params.pg_sig.slice(1) }, SECRET), 'a short signature')
  t.notOk(verifyParams('result', { ...params, pg_sig: `${params.pg_sig}00` }, SECRET), 'a long signature')
  t.notOk(verifyParams('result', { ...params, pg_sig: 'ж'.repeat(16) }, SECRET), 'same length in chars, not in bytes')
  t.notOk(verifyParams('result', { ...params, pg_sig: '' }, SECRET), 'an empty signature')
  t.notOk(verifyParams('result', documented, SECRET), 'no signature')
  t.notOk(verifyParams('result', { ...documented, pg_sig: 42 } as unknown as Record<string, string>, SECRET), 'a signature that is not text')
})

const paramName = fc.stringMatching(/^[a-z_]{1,20}$/).filter((name) => name !== 'pg_sig')
const paramMap = fc.dictionary(paramName, fc.string(), { minKeys: 1, maxKeys: 12 })

t.test('sign then verify always holds; altering any one value breaks it', async () => {
  fc.assert(fc.property(
    paramMap,
    fc.string(),
    fc.nat(),
    fc.string({ minLength: 1 }),
    (params, secret, pick, suffix) => {
      const signed = { ...params, pg_sig: signParams('result', params, secret) }
      if (!verifyParams('result', signed, secret)) return false
      const names = Object.keys(params)
      const name = names[pick % names.length] as string
      return !verifyParams('result', { ...signed, [name]: `${params[name]}${suffix}` }, secret)
    }))
})

t.test('the script name is the last path segment of the URL', async (t) => {
  t.equal(scriptNameFromPath('/v1/callbacks/bank/result?x=1'), 'result')
  t.equal(scriptNameFromPath('/v1/callbacks/bank/check/'), 'check')
  t.equal(scriptNameFromPath('https://bank/init_payment.php'), 'init_payment.php')
  t.equal(scriptNameFromPath('https://api.freedompay.kz/g2g/revoke.php?pg_payment_id=1#top'), 'revoke.php')
  t.equal(scriptNameFromPath('get_status3.php'), 'get_status3.php')
  t.equal(scriptNameFromPath('https://bank'), '', 'a bare host has no script')
  t.equal(scriptNameFromPath('/'), '')
})

t.test('every salt is fresh 16-byte hex', async (t) => {
  const salts = new Set(Array.from({ length: 100 }, () => randomSalt()))
  t.equal(salts.size, 100)
  for (const salt of salts) t.match(salt, /^[0-9a-f]{32}$/)
})
