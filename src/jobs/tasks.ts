import type { TaskList } from 'graphile-worker'
import type { FastifyInstance } from 'fastify'

/**
 * Every background task, by name. Tasks get the application (database,
 * cipher, bank, configuration) so they call the same services as routes.
 */
export function taskList (_app: FastifyInstance): TaskList {
  return {}
}

/** Recurring tasks (graphile-worker crontab syntax). */
export const CRONTAB = ''
