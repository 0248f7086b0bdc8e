import t from 'tap'
import { foldCreditorName } from '../../src/lib/creditor-names.js'

t.test('quote styles, case, NFKC and spaces fold to one name', async (t) => {
  const folded = foldCreditorName('АО «Банк ЦентрКредит»')
  t.equal(folded, 'ао банк центркредит')
  t.equal(foldCreditorName('АО "Банк ЦентрКредит"'), folded)
  t.equal(foldCreditorName('ао  „банк центркредит“'), folded)
  t.equal(foldCreditorName('  АО ‘Банк’\tЦентрКредит  '), folded)
  t.equal(foldCreditorName('ＡＯ Bank'), 'ao bank', 'NFKC: full-width letters are the plain ones')
  t.not(foldCreditorName('АО Банк'), foldCreditorName('АО Банк 2'), 'other names stay apart')
})
