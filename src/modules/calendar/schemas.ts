import { Type, type Static } from '@sinclair/typebox'
import { StringEnum } from '../../http/schemas.js'

/** The shape only; whether it is a real date (2026-02-30) is the service's 422 `invalid_date`. */
export const DATE_PATTERN = '^\\d{4}-\\d{2}-\\d{2}$'

function calendarDate (description: string, example: string) {
  return Type.String({ pattern: DATE_PATTERN, description: `${description} (YYYY-MM-DD, Asia/Almaty calendar date)`, examples: [example] })
}

export const NON_WORKING_DAY_KINDS = ['holiday', 'observed', 'decree', 'working'] as const
export type NonWorkingDayKind = typeof NON_WORKING_DAY_KINDS[number]

export const NonWorkingDayKindSchema = StringEnum(NON_WORKING_DAY_KINDS, {
  description: '`holiday` a public holiday; `observed` the weekday replacing a holiday that fell on a weekend; ' +
    '`decree` a day off moved by a government decree; `working` a Saturday or Sunday that a decree made a working day',
  examples: ['decree']
})

export const NonWorkingDaySchema = Type.Object({
  date: calendarDate('The day', '2026-03-09'),
  kind: NonWorkingDayKindSchema,
  name: Type.String({ minLength: 1, maxLength: 200, description: 'What the day is, for people' })
}, {
  $id: 'NonWorkingDay',
  additionalProperties: false,
  examples: [{ date: '2026-03-09', kind: 'observed', name: 'International Women\'s Day (observed)' }]
})
export type NonWorkingDay = Static<typeof NonWorkingDaySchema>

export const NonWorkingDayListQuery = Type.Object({
  from: Type.Optional(calendarDate('First day of the range, inclusive', '2026-01-01')),
  to: Type.Optional(calendarDate('Last day of the range, inclusive', '2026-12-31'))
}, { additionalProperties: false })

export const NonWorkingDayParams = Type.Object({
  date: calendarDate('The day', '2026-03-09')
}, { additionalProperties: false })

export const SetNonWorkingDayBody = Type.Object({
  kind: NonWorkingDayKindSchema,
  name: Type.String({ minLength: 1, maxLength: 200, description: 'What the day is, for people' })
}, {
  additionalProperties: false,
  examples: [{ kind: 'decree', name: 'Day off moved from Saturday 2026-12-19 (decree)' }]
})
export type SetNonWorkingDayInput = Static<typeof SetNonWorkingDayBody>

/** Caps `days` where the pure calendar does: a bigger count is a mistake, not a deadline. */
export const BusinessDaysQuery = Type.Object({
  from: calendarDate('The day of the decision; counting starts the next day', '2026-03-19'),
  days: Type.Integer({ minimum: 0, maximum: 3660, description: 'How many business days; 0 gives `from` itself', examples: [5] })
}, { additionalProperties: false })

export const BusinessDaySchema = Type.Object({
  from: calendarDate('The day of the decision', '2026-03-19'),
  days: Type.Integer({ minimum: 0 }),
  date: calendarDate('The `days`-th working day after `from`: the deadline', '2026-03-31')
}, {
  $id: 'BusinessDay',
  additionalProperties: false,
  examples: [{ from: '2026-03-19', days: 5, date: '2026-03-31' }]
})
export type BusinessDay = Static<typeof BusinessDaySchema>
