// `npm run bench` measures what ships: the image runs the service compiled by tsc (Dockerfile), not through tsx,
// whose loader each thread would load again (the import's crypto thread: about 38 MB from source, 11 MB compiled,
// counted in the import's memory figure). This compiles src, migrations and test into dist/bench with the files
// the compiled code reads beside it, as the Dockerfile lays them out; run.js then runs from there.
import { execFileSync } from 'node:child_process'
import { cpSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import process from 'node:process'
import { fileURLToPath, URL } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))
const out = 'dist/bench'
rmSync(`${root}${out}`, { recursive: true, force: true })
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--outDir', out, '--noEmit', 'false', '--sourceMap', 'false'], { cwd: root, stdio: 'inherit' })
for (const path of ['migrations/seeds', 'src/modules/notifications/templates', 'test/bench/autocannon-child.mjs']) {
  cpSync(`${root}${path}`, `${root}${out}/${path}`, { recursive: true })
}
