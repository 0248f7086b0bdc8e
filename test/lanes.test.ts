import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { allTestFiles, filesOf, slowLane, slowPatterns } from './lanes.js'
import { withoutChromium } from './helpers/chromium.js'

/**
 * The two lanes stay honest: every test file runs in exactly one of them, the slow lane holds what DESIGN 21 puts
 * there, `npm test` and `npm run test:slow` are the commands that run them, and CI calls both and cannot skip the
 * browser tests.
 */
// the fast lane as tap itself sees it: .taprc's include minus its exclude
const fast = execFileSync(process.execPath, [join('node_modules', 'tap', 'dist', 'esm', 'run.mjs'), 'list'], {
  encoding: 'utf8'
}).split('\n').filter((line) => line !== '').sort()
const slow = slowLane()
const packageJson = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }

t.test('every test file is in exactly one lane', async (t) => {
  t.same([...fast, ...slow].sort(), allTestFiles(), 'the two lanes together are the whole suite')
  t.same(fast.filter((file) => slow.includes(file)), [], 'and no file runs in both')
  t.ok(fast.includes('test/lanes.test.ts'), 'this test is in the fast lane')
  t.ok(fast.length > slow.length, 'the fast lane is most of the suite')
})

t.test('each slow entry names a test file or folder that exists', async (t) => {
  for (const pattern of slowPatterns()) {
    t.match(pattern, /^test\/[\w./-]+(\.test\.ts|\/\*\*)$/, `${pattern}: a test file's path or folder/**`)
    t.ok(filesOf(pattern).length > 0, `${pattern} stands for at least one test file`)
  }
})

t.test('the slow lane holds the fault tests, the 100k import, fuzzing and the browser tests', async (t) => {
  const faults = allTestFiles().filter((file) => file.startsWith('test/faults/'))
  t.ok(faults.length >= 5, 'the fault tests are where they were')
  for (const file of faults) t.ok(slow.includes(file), file)
  for (const file of ['test/modules/debts-import-large.test.ts', 'test/http/fuzz.test.ts']) {
    t.ok(slow.includes(file), file)
  }
  const browser = allTestFiles().filter((file) => /playwright|chromium/i.test(readFileSync(file, 'utf8')))
  t.ok(browser.length >= 2, 'the browser tests are found by what they import')
  for (const file of browser) {
    if (file === 'test/lanes.test.ts') continue
    t.ok(slow.includes(file), `${file} (a browser test)`)
    t.match(readFileSync(file, 'utf8'), /skip: withoutChromium\(t\)/, `${file} skips only where CI may`)
  }
})

t.test('npm test runs the fast lane with coverage, npm run test:slow the slow lane, on the same runner', async (t) => {
  t.equal(packageJson.scripts.test, 'tsx test/run.ts')
  t.equal(packageJson.scripts['test:slow'], 'tsx test/run.ts --slow')
  const taprc = readFileSync('.taprc', 'utf8')
  for (const threshold of ['statements', 'branches', 'functions', 'lines']) {
    t.match(taprc, new RegExp(`^${threshold}: \\d+$`, 'm'), `.taprc enforces ${threshold} coverage on the fast lane`)
  }
  t.notMatch(taprc, /disable-coverage/, 'and does not turn coverage off')
})

t.test('CI calls both lanes, the fast one first, and fails without Chromium', async (t) => {
  const ci = readFileSync('.ci/run', 'utf8')
  const commands = ci.split('\n').filter((line) => !line.trimStart().startsWith('#'))
  const fastRun = commands.findIndex((line) => /^npm test 2>&1/.test(line))
  const slowRun = commands.findIndex((line) => /step "npm run test:slow" npm run test:slow$/.test(line))
  t.ok(fastRun >= 0, 'npm test, whose summary CI prints')
  t.ok(slowRun > fastRun, 'then npm run test:slow')
  t.match(ci, /apt-get install[^\n]*chromium[^|]*\|\| failed_steps\+=\("chromium could not be installed"\)/,
    'a failed install of Chromium fails the run')
  t.match(ci, /^export CI=true$/m, 'and CI=true makes a missing Chromium fail the browser tests')
})

t.test('a browser test without Chromium skips on a developer machine and fails in CI', async (t) => {
  const failures: string[] = []
  const recorder = { fail: (message: string) => { failures.push(message) } }
  const installed = { chromium: '/usr/bin/chromium', env: { CI: 'true' } }
  t.equal(withoutChromium(recorder, installed), false, 'with Chromium it runs')
  const developer = { chromium: undefined, env: {} }
  t.equal(withoutChromium(recorder, developer), 'no Chromium installed', 'without, a developer\'s run skips it')
  t.same(failures, [])
  withoutChromium(recorder, { chromium: undefined, env: { CI: 'true' } })
  t.match(failures, [/no Chromium installed, and CI must run the browser tests/], 'CI fails')
})
