// The one place that finds a Chromium or Chrome, for `npm run export` (Slidev drives it through Playwright) and for
// the browser tests. Order: CHROMIUM_PATH, then a system browser (Linux: on PATH; macOS: the usual app bundles too),
// then Playwright's own cache (what `npx playwright install chromium` fills). Nothing is downloaded here.
import { accessSync, constants, readdirSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { delimiter, join } from 'node:path'

/** Flags for a headless Chromium on a server or in CI, where there is no display, no GPU and no sandbox helper for root. */
export const BROWSER_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic']

/** Names a system Chromium or Chrome goes by on PATH (Debian: chromium; Ubuntu's older deb: chromium-browser; Google's: google-chrome*). */
export const BROWSER_COMMANDS = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome']

const MAC_APPS = [
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing',
]

export interface FoundBrowser {
  path: string
  /** where it was found, for messages */
  source: 'CHROMIUM_PATH' | 'system' | 'playwright cache'
}

export interface BrowserSearch {
  env?: NodeJS.ProcessEnv
  platform?: NodeJS.Platform
}

export class MissingBrowserError extends Error {
  override name = 'MissingBrowserError'
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** The first executable called `command` in the PATH of `env`, like `command -v`. */
export function onPath(command: string, env: NodeJS.ProcessEnv = process.env): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    const candidate = join(dir, command)
    if (isExecutableFile(candidate)) return candidate
  }
  return null
}

/** Playwright's browser cache (PLAYWRIGHT_BROWSERS_PATH, else the per-user default). */
export function playwrightCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.PLAYWRIGHT_BROWSERS_PATH && env.PLAYWRIGHT_BROWSERS_PATH !== '0') return env.PLAYWRIGHT_BROWSERS_PATH
  const home = env.HOME ?? homedir()
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'ms-playwright')
  return join(env.XDG_CACHE_HOME ?? join(home, '.cache'), 'ms-playwright')
}

/** Chromium builds in Playwright's cache, newest revision first (any revision runs Slidev's export and the tests). */
function playwrightCacheBrowsers(dir: string, platform: NodeJS.Platform): string[] {
  let entries: string[]
  try {
    entries = readdirSync(dir)
  } catch {
    return []
  }
  const revision = (name: string) => Number(/-(\d+)$/.exec(name)?.[1] ?? 0)
  const builds = entries.filter((e) => /^chromium(_headless_shell)?-\d+$/.test(e)).sort((a, b) => revision(b) - revision(a) || a.localeCompare(b))
  const inside =
    platform === 'darwin'
      ? ['chrome-mac-arm64/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing', 'chrome-mac-x64/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing', 'chrome-mac/Chromium.app/Contents/MacOS/Chromium', 'chrome-headless-shell-mac-arm64/chrome-headless-shell', 'chrome-headless-shell-mac-x64/chrome-headless-shell']
      : ['chrome-linux64/chrome', 'chrome-linux/chrome', 'chrome-headless-shell-linux64/chrome-headless-shell', 'chrome-linux/headless_shell']
  return builds.flatMap((build) => inside.map((p) => join(dir, build, p)))
}

/** Where this machine's browser is, or null. Looks only at the places in the header, in that order. */
export function findBrowser(search: BrowserSearch = {}): FoundBrowser | null {
  const env = search.env ?? process.env
  const platform = search.platform ?? process.platform
  if (env.CHROMIUM_PATH) return isExecutableFile(env.CHROMIUM_PATH) ? { path: env.CHROMIUM_PATH, source: 'CHROMIUM_PATH' } : null
  for (const command of BROWSER_COMMANDS) {
    const path = onPath(command, env)
    if (path) return { path, source: 'system' }
  }
  if (platform === 'darwin') {
    const home = env.HOME ?? homedir()
    for (const app of [...MAC_APPS, ...MAC_APPS.map((a) => join(home, a))]) if (isExecutableFile(app)) return { path: app, source: 'system' }
  }
  for (const path of playwrightCacheBrowsers(playwrightCacheDir(env, platform), platform)) if (isExecutableFile(path)) return { path, source: 'playwright cache' }
  return null
}

/** The message for a machine with no browser: where we looked and the command that gets one. */
export function missingBrowserMessage(search: BrowserSearch = {}): string {
  const env = search.env ?? process.env
  const platform = search.platform ?? process.platform
  const first = env.CHROMIUM_PATH ? `CHROMIUM_PATH=${env.CHROMIUM_PATH} is not an executable file` : 'No Chromium or Chrome found'
  return [
    `${first} (needed by npm run export and the browser tests).`,
    `Looked at: CHROMIUM_PATH, ${BROWSER_COMMANDS.join(', ')} on PATH${platform === 'darwin' ? ', /Applications' : ''}, Playwright's cache (${playwrightCacheDir(env, platform)}).`,
    'Get one with:',
    '  npx playwright install chromium    (where the internet is reachable)',
    '  apt-get install chromium           (Debian, as root)',
    'or set CHROMIUM_PATH to a Chromium or Chrome binary.',
  ].join('\n')
}

/** The browser's path; throws MissingBrowserError (with the message above) when there is none. */
export function requireBrowser(search: BrowserSearch = {}): string {
  const found = findBrowser(search)
  if (!found) throw new MissingBrowserError(missingBrowserMessage(search))
  return found.path
}
