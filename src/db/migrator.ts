import { readdir } from 'node:fs/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { join } from 'node:path'
import { Migrator, type Kysely, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely'

/** migrations/ beside src/, both in the source tree and in dist/. */
const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url))
const MIGRATION_FILE = /^\d{4}_[a-z0-9_]+\.(ts|js)$/

class FolderMigrationProvider implements MigrationProvider {
  async getMigrations (): Promise<Record<string, Migration>> {
    const migrations: Record<string, Migration> = {}
    for (const file of (await readdir(MIGRATIONS_DIR)).sort()) {
      if (!MIGRATION_FILE.test(file)) continue
      const module = await import(pathToFileURL(join(MIGRATIONS_DIR, file)).href) as Migration
      migrations[file.replace(/\.(ts|js)$/, '')] = module
    }
    return migrations
  }
}

export function createMigrator (db: Kysely<any>): Migrator {
  return new Migrator({ db, provider: new FolderMigrationProvider() })
}

export class MigrationError extends Error {}

export async function migrateToLatest (db: Kysely<any>): Promise<MigrationResultSet> {
  const result = await createMigrator(db).migrateToLatest()
  if (result.error !== undefined) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown'
    throw new MigrationError(`migration ${failed} failed: ${result.error instanceof Error ? result.error.message : String(result.error)}`)
  }
  return result
}

/** Names of migrations not yet applied (readiness fails while any are). */
export async function pendingMigrations (db: Kysely<any>): Promise<string[]> {
  const all = await createMigrator(db).getMigrations()
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name)
}
