import type { FastifyInstance } from 'fastify'
import { iinCheckDigit } from '../../src/lib/iin.js'

/** Test portfolios: valid IINs, names in Kazakh and Russian, amounts in tenge. */
export function makeIin (seed: number): string {
  // Born 1950-2009 on a real date, century/sex digit 3-6, serial from the seed.
  for (let bump = 0; ; bump++) {
    const n = seed + bump * 7919
    const year = 1950 + (n % 60)
    const month = 1 + (n % 12)
    const day = 1 + (n % 28)
    const centuryDigit = (year >= 2000 ? 5 : 3) + (n % 2)
    const serial = String(Math.floor(n / 2) % 100000).padStart(4, '0').slice(-4)
    const first11 = `${String(year % 100).padStart(2, '0')}${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}${centuryDigit}${serial}`
    const check = iinCheckDigit(first11)
    if (check !== null) return `${first11}${check}`
  }
}

const SURNAMES = ['Әбілқасымов', 'Иванов', 'Нұрланұлы', 'Қайратов', 'Ёлкин', 'Үсенова', 'Ғабитов', 'Һасанов', 'Өмірзақ', 'Іскаков', 'Ұлықбек', 'Ңурова']
const NAMES = ['Айгерім', 'Иван', 'Әлия', 'Пётр', 'Дәурен', 'Гүлнар']

export function makeName (seed: number): string {
  return `${SURNAMES[seed % SURNAMES.length] as string} ${NAMES[seed % NAMES.length] as string}`
}

export interface PortfolioRow { contract: string, iin: string, name: string, creditor: string, outstanding: string }

export function makeRow (seed: number, overrides: Partial<PortfolioRow> = {}): PortfolioRow {
  return {
    contract: `КД-${String(seed).padStart(7, '0')}`,
    iin: makeIin(seed),
    name: makeName(seed),
    creditor: seed % 2 === 0 ? 'АО «Банк ЦентрКредит»' : 'ТОО МФО «Быстрые деньги»',
    outstanding: `${1000 + (seed % 500000)}.${String(seed % 100).padStart(2, '0')}`,
    ...overrides
  }
}

export const HEADER = 'contract_number,debtor_iin,debtor_name,creditor,outstanding,currency'

function quote (value: string): string {
  return /[",;\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value
}

export function toCsvLine (row: PortfolioRow, delimiter = ','): string {
  return [row.contract, row.iin, row.name, row.creditor, row.outstanding, 'KZT'].map(quote).join(delimiter)
}

export function makeCsv (rows: PortfolioRow[], delimiter = ','): string {
  return [HEADER.replaceAll(',', delimiter), ...rows.map((r) => toCsvLine(r, delimiter))].join('\n') + '\n'
}

/** Imports rows through the real pipeline (HTTP upload, worker) and waits for the report. */
export async function importPortfolio (
  app: FastifyInstance, authorization: string, rows: PortfolioRow[]
): Promise<Record<string, any>> {
  const { eventually } = await import('./app.js')
  const queued = await app.inject({ method: 'POST', url: '/v1/admin/debt-imports', headers: { authorization, 'content-type': 'text/csv' }, payload: makeCsv(rows) })
  if (queued.statusCode !== 202) throw new Error(`import refused: ${queued.body}`)
  return await eventually(async () => {
    const report = (await app.inject({ method: 'GET', url: `/v1/admin/debt-imports/${queued.json().id as string}`, headers: { authorization } })).json()
    return report.status === 'completed' ? report : undefined
  })
}
