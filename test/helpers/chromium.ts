import { existsSync } from 'node:fs'

/** Debian's Chromium, which CI installs (.ci/run): playwright-core downloads no browser of its own. */
export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((path) => existsSync(path))

/**
 * tap's `skip` for a browser test. Without Chromium a developer's run skips it and says why; a CI run (CI=true)
 * fails instead, so CI cannot go green without the browser tests.
 */
export function withoutChromium (
  t: { fail: (message: string) => unknown },
  machine: { chromium: string | undefined, env: NodeJS.ProcessEnv } = { chromium: CHROMIUM, env: process.env }
): string | false {
  if (machine.chromium !== undefined) return false
  if (machine.env.CI === 'true') {
    t.fail('no Chromium installed, and CI must run the browser tests (.ci/run installs it)')
  }
  return 'no Chromium installed'
}
