// The one browser finder: CHROMIUM_PATH, then a system browser on PATH, then Playwright's cache — and with none,
// `npm run export` prints one message naming the commands that get one and exits 1, with no stack trace.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { findBrowser, missingBrowserMessage, requireBrowser } from '../../scripts/lib/browser.ts'
import { repoRoot } from '../../demo-server/src/launch.ts'

const empty = () => mkdtempSync(join(tmpdir(), 'no-browser-'))
/** An environment with no browser anywhere: PATH, HOME and the Playwright cache all point at empty folders. */
const bare = (): NodeJS.ProcessEnv => ({ PATH: empty(), HOME: empty(), PLAYWRIGHT_BROWSERS_PATH: empty() })
// The machine's real browser, linked under the names and folders each lookup knows.
const real = requireBrowser()

test('CHROMIUM_PATH comes first, before a browser on PATH', () => {
  const bin = empty()
  symlinkSync(real, join(bin, 'chromium'))
  assert.deepEqual(findBrowser({ env: { ...bare(), PATH: bin, CHROMIUM_PATH: real }, platform: 'linux' }), { path: real, source: 'CHROMIUM_PATH' })
})

test('a CHROMIUM_PATH that is not an executable is reported, not silently replaced by another browser', () => {
  const bin = empty()
  symlinkSync(real, join(bin, 'chromium'))
  const env = { ...bare(), PATH: bin, CHROMIUM_PATH: join(bin, 'nothing-here') }
  assert.equal(findBrowser({ env, platform: 'linux' }), null)
  assert.match(missingBrowserMessage({ env, platform: 'linux' }), /CHROMIUM_PATH=.*nothing-here is not an executable file/)
})

test('a system browser is found on PATH under each name it goes by', () => {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
    const bin = empty()
    symlinkSync(real, join(bin, name))
    assert.deepEqual(findBrowser({ env: { ...bare(), PATH: `${empty()}:${bin}` }, platform: 'linux' }), { path: join(bin, name), source: 'system' }, name)
  }
})

test("Playwright's cache is the last place, newest revision first", () => {
  const env = bare()
  const cache = env.PLAYWRIGHT_BROWSERS_PATH!
  for (const rev of ['1100', '1255']) {
    mkdirSync(join(cache, `chromium-${rev}`, 'chrome-linux64'), { recursive: true })
    symlinkSync(real, join(cache, `chromium-${rev}`, 'chrome-linux64', 'chrome'))
  }
  assert.deepEqual(findBrowser({ env, platform: 'linux' }), { path: join(cache, 'chromium-1255', 'chrome-linux64', 'chrome'), source: 'playwright cache' })
  const homeOnly = { PATH: empty(), HOME: empty() }
  mkdirSync(join(homeOnly.HOME, '.cache', 'ms-playwright', 'chromium-1255', 'chrome-linux64'), { recursive: true })
  symlinkSync(real, join(homeOnly.HOME, '.cache', 'ms-playwright', 'chromium-1255', 'chrome-linux64', 'chrome'))
  assert.equal(findBrowser({ env: homeOnly, platform: 'linux' })?.source, 'playwright cache', 'the default cache under HOME')
})

test('nothing found: null, and the message names where it looked and both ways to get a browser', () => {
  const env = bare()
  assert.equal(findBrowser({ env, platform: 'linux' }), null)
  const message = missingBrowserMessage({ env, platform: 'linux' })
  assert.match(message, /^No Chromium or Chrome found/)
  assert.match(message, /npx playwright install chromium/)
  assert.match(message, /apt-get install chromium/)
  assert.ok(message.includes(env.PLAYWRIGHT_BROWSERS_PATH!), 'names the cache folder it looked in')
  assert.throws(() => requireBrowser({ env, platform: 'linux' }), { name: 'MissingBrowserError', message })
})

function exportWith(env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, [join(repoRoot, 'scripts', 'export.ts'), '--out', empty()], { cwd: repoRoot, env, encoding: 'utf8', timeout: 60_000 })
}

for (const [name, extra] of [
  ['no browser anywhere', {}],
  ['CHROMIUM_PATH pointing at nothing', { CHROMIUM_PATH: '/nonexistent/chromium' }],
] as const) {
  test(`npm run export with ${name}: one clear message, exit 1, nothing started`, () => {
    const run = exportWith({ ...bare(), ...extra })
    assert.equal(run.status, 1, run.stderr)
    assert.match(run.stderr, /npx playwright install chromium/)
    assert.match(run.stderr, /apt-get install chromium/)
    assert.match(run.stderr, 'CHROMIUM_PATH' in extra ? /CHROMIUM_PATH=\/nonexistent\/chromium is not an executable file/ : /No Chromium or Chrome found/)
    assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace')
    assert.doesNotMatch(`${run.stdout}${run.stderr}`, /Slidev|demo server/, 'fails before starting anything')
  })
}
