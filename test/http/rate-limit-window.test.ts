import t from 'tap'
import { createTestApp } from '../helpers/app.js'

/**
 * A 429 names the limit and the window of the route it came from (DESIGN 20), in the reader's language: the debt
 * lookup's minute, the privacy request's hour (per IP at the edge, per email in the service), never the time left
 * until the window resets (which once read "at most 3 per 37 seconds").
 */
const { app } = await createTestApp(t, {
  LOOKUP_RATE_LIMIT_PER_MINUTE: '2',
  PRIVACY_REQUESTS_PER_IP_PER_HOUR: '2',
  PRIVACY_REQUESTS_PER_EMAIL_PER_HOUR: '1'
})

/**
 * The requests to `url` until the limit refuses one: that refusal, in each language. `from` gives the address of the
 * i-th request (one address for a per-IP limit; a new one each time for the per-email limit).
 */
async function refusalOf (url: string, payload: (i: number) => Record<string, unknown>, from: (i: number) => string) {
  for (let i = 0; i < 10; i++) {
    const ask = async (language: string, at: number) => await app.inject({
      method: 'POST', url, payload: payload(i), remoteAddress: from(at), headers: { 'accept-language': language }
    })
    const response = await ask('en', i)
    if (response.statusCode === 429) {
      const inRussian = await ask('ru', i + 1)
      const inKazakh = await ask('kk', i + 2)
      return { en: response, ru: inRussian, kk: inKazakh, accepted: i }
    }
  }
  throw new Error(`${url}: never refused`)
}

t.test('the debt lookup: at most 2 per 1 minute', async (t) => {
  const refused = await refusalOf('/v1/debts/lookup', (i) => ({ contractNumber: `guess-${i}`, iin: '900101300012' }), () => '10.1.1.1')
  t.equal(refused.accepted, 2)
  t.match(refused.en.json(), { code: 'rate_limited', limit: 2, windowSeconds: 60, detail: /^Too many requests: at most 2 per 1 minute; retry in \d+ s$/ })
  t.ok(Number(refused.en.headers['retry-after']) <= 60)
  t.match(refused.ru.json().detail, /^Слишком много запросов: не более 2 за 1 мин; повторите через \d+ с$/)
  t.equal(refused.ru.headers['content-language'], 'ru')
  t.match(refused.kk.json().detail, /1 минут ішінде 2 /)
})

t.test('the privacy request, per IP: at most 2 per 1 hour', async (t) => {
  const refused = await refusalOf('/v1/privacy-requests', (i) => ({ email: `ip-${i}@example.kz`, fullName: 'Иван Иванов' }), () => '10.2.2.2')
  t.equal(refused.accepted, 2)
  t.match(refused.en.json(), { code: 'rate_limited', limit: 2, windowSeconds: 3600, detail: /^Too many requests: at most 2 per 1 hour; retry in \d+ s$/ })
  t.ok(Number(refused.en.headers['retry-after']) > 60, 'the hour\'s Retry-After')
  t.match(refused.ru.json().detail, /не более 2 за 1 ч;/)
  t.match(refused.kk.json().detail, /1 сағат ішінде 2 /)
})

t.test('the privacy request, per email (the service\'s own limit): at most 1 per 1 hour', async (t) => {
  const refused = await refusalOf('/v1/privacy-requests', () => ({ email: 'same@example.kz', fullName: 'Иван Иванов' }), (i) => `10.3.3.${i + 1}`)
  t.equal(refused.accepted, 1)
  t.match(refused.en.json(), { code: 'rate_limited', limit: 1, windowSeconds: 3600, retryAfterSeconds: 3600, detail: /at most 1 per 1 hour/ })
  t.match(refused.ru.json().detail, /не более 1 за 1 ч;/)
})
