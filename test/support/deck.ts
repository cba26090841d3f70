// Starts what `npm start` starts — a demo server (here against the fake API server) and a Slidev dev server
// told where it is — plus a headless Chromium, for browser tests and benchmarks.
import type { ChildProcess } from 'node:child_process'
import { chromium } from 'playwright-core'
import type { Browser, Page } from 'playwright-core'
import { deckEnv, deckOrigins, freePort, repoRoot, spawnSlidev, untilAnswers } from '../../demo-server/src/launch.ts'
import { startDemoServer } from '../../demo-server/src/server.ts'
import { BROWSER_ARGS, requireBrowser } from '../../scripts/lib/browser.ts'
import type { DemoServer, DemoServerOptions } from '../../demo-server/src/server.ts'

export const CHROMIUM_ARGS = BROWSER_ARGS

export interface RunningDeck {
  deckUrl: string
  deckPort: number
  token: string
  demoPort: number
  slidev: ChildProcess
  stop(): Promise<void>
}

/** Slidev's dev server on a free port, with VITE_DEMO_* pointing at `demoPort`. */
export async function startDeck(options: { token: string; demoPort: number; entry?: string }): Promise<RunningDeck> {
  const deckPort = await freePort()
  const env = { ...process.env, VITE_DEMO_SERVER: `http://127.0.0.1:${options.demoPort}`, VITE_DEMO_TOKEN: options.token }
  const slidev = spawnSlidev([options.entry ?? 'slides.md', '--port', String(deckPort)], env, 'pipe')
  let log = ''
  slidev.stdout?.on('data', (d: Buffer) => (log += d.toString()))
  slidev.stderr?.on('data', (d: Buffer) => (log += d.toString()))
  const deckUrl = `http://localhost:${deckPort}`
  if (!(await untilAnswers(deckUrl, { timeoutMs: 60_000, intervalMs: 200, gaveUp: () => slidev.exitCode !== null }))) {
    slidev.kill('SIGTERM')
    throw new Error(slidev.exitCode !== null ? `slidev exited (${slidev.exitCode}):\n${log}` : `slidev did not start within 60 s:\n${log}`)
  }
  return {
    deckUrl,
    deckPort,
    token: options.token,
    demoPort: options.demoPort,
    slidev,
    stop: () =>
      new Promise<void>((resolve) => {
        if (slidev.exitCode !== null) return resolve()
        slidev.once('exit', () => resolve())
        slidev.kill('SIGTERM')
      }),
  }
}

export function demoServerFor(deck: { deckPort: number; token: string; demoPort: number }, options: Omit<DemoServerOptions, 'token' | 'allowedOrigins' | 'port' | 'repoRoot'> & { repoRoot?: string }): Promise<DemoServer> {
  return startDemoServer({ repoRoot, ...options, token: deck.token, allowedOrigins: deckOrigins(deck.deckPort), port: deck.demoPort })
}

export function launchBrowser(): Promise<Browser> {
  // Found when a test needs it: with no browser, the test fails with the message naming the command that gets one.
  return chromium.launch({ executablePath: requireBrowser(), args: CHROMIUM_ARGS })
}

/**
 * Console messages that are not ours and harmless: Slidev 52.14's client installs @shikijs/vitepress-twoslash
 * 4.4.3 (the override this machine needs), whose drag guard for twoslash popups can't patch floating-vue 5.4's
 * VMenu and says so. Twoslash popups are not used in this deck.
 */
export const KNOWN_FOREIGN_ERRORS = [/^Failed to patch FloatingVue/]

/** Collects console errors and page errors, so a test can fail on them. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = []
  page.on('console', (m) => {
    if (m.type() === 'error' && !KNOWN_FOREIGN_ERRORS.some((re) => re.test(m.text()))) errors.push(m.text())
  })
  page.on('pageerror', (e) => errors.push(e.message))
  return errors
}

export { freePort, deckEnv }
