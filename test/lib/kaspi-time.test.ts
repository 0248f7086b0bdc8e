import t from 'tap'
import { formatKaspiTime, kaspiDay, parseKaspiTime } from '../../src/lib/kaspi-time.js'

t.test('txn_date is Almaty time, UTC+5, written YYYYMMDDHHMMSS', async (t) => {
  t.same(parseKaspiTime('20261125150211'), new Date('2026-11-25T10:02:11Z'))
  t.equal(formatKaspiTime(new Date('2026-11-25T19:30:00Z')), '20261126003000', 'past midnight in Almaty')
  for (const bad of ['', '2026112515021', '202611251502111', '20261325150211', '20260230120000', '20261125240000', '2026-11-25', 'x'.repeat(14)]) {
    t.equal(parseKaspiTime(bad), null, `${JSON.stringify(bad)} is no time`)
  }
})

t.test('a registry\'s day is the Almaty day', async (t) => {
  t.same(kaspiDay('2026-11-25'), { from: new Date('2026-11-24T19:00:00Z'), to: new Date('2026-11-25T19:00:00Z') })
  for (const bad of ['2026-02-30', '2026-13-01', '20261125', '2026-1-5']) t.equal(kaspiDay(bad), null, bad)
})
