// Walks every slide of the real deck in a browser (offline demo server, as a newcomer would see it): no slide may
// overflow its canvas, no code block may hide text, and no console error may appear.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { Browser } from 'playwright-core'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DemoServer } from '../../demo-server/src/server.ts'
import { defaultActions } from '../../demo-server/src/catalog/index.ts'
import { RunStore } from '../../demo-server/src/runStore.ts'
import { demoServerFor, freePort, launchBrowser, startDeck, watchErrors } from '../support/deck.ts'
import type { RunningDeck } from '../support/deck.ts'

const entry = process.env.DECK_ENTRY ?? 'slides.md'
let deck: RunningDeck
let server: DemoServer
let browser: Browser

/**
 * Every action gets a long recorded run (test filler, never shown outside this test), so each live component is
 * drawn at its fullest: a slide that fits empty but overflows once outputs arrive is caught here.
 */
function fullStore(): string {
  const dir = mkdtempSync(join(tmpdir(), 'walk-runs-'))
  const store = new RunStore({ dir })
  const line = (i: number) => `${String(i).padStart(3, '0')} ${'wide test filler '.repeat(10)}\n`
  for (const action of defaultActions()) {
    const run = store.start(action.id, {})
    for (let i = 0; i < 80; i++) store.append(run, 'stdout', line(i))
    store.finish(run, 'succeeded', { exitCode: 0 })
  }
  return dir
}

before(async () => {
  deck = await startDeck({ token: 'walk-test-token-0123456789', demoPort: await freePort(), entry })
  server = await demoServerFor(deck, { access: { kubeConfig: null, context: null, server: null, problem: 'no kubeconfig found' }, storeDir: fullStore() })
  browser = await launchBrowser()
})
after(async () => {
  await browser?.close()
  await server?.close()
  await deck?.stop()
})

interface Overflow { what: string; by: string }

test('every slide fits its canvas, in light and dark, with no console errors', async () => {
  for (const scheme of ['light', 'dark'] as const) {
    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 }, colorScheme: scheme })
    const errors = watchErrors(page)
    await page.goto(`${deck.deckUrl}/1`)
    await page.locator('.slidev-page').first().waitFor({ timeout: 60_000 })
    const total = await page.evaluate(() => (window as unknown as { __slidev__: { nav: { total: number } } }).__slidev__.nav.total)
    assert.ok(total > 10, `the deck has ${total} slides`)
    const problems: string[] = []
    for (let no = 1; no <= total; no++) {
      await page.goto(`${deck.deckUrl}/${no}?clicks=99`) // every click revealed: the fullest state of the slide
      const layout = page.locator(`.slidev-page-${no} .slidev-layout`).first()
      await layout.waitFor({ timeout: 30_000 })
      await page.waitForFunction(() => !document.querySelector('#mermaid-rendering-container div, .slidev-slide-loading'), undefined, { timeout: 30_000 }).catch(() => {})
      await page.waitForTimeout(150)
      // live components draw their recorded run: wait until each has loaded it
      await page.waitForFunction((n) => Array.from(document.querySelectorAll(`.slidev-page-${n} .live-run`)).every((el) => el.querySelector('.status-pill-settled')), no, { timeout: 10_000 })
      const overflows = await layout.evaluate((el): Overflow[] => {
        const found: Overflow[] = []
        if (el.scrollHeight > el.clientHeight + 2) found.push({ what: 'slide (vertical)', by: `${el.scrollHeight - el.clientHeight}px` })
        if (el.scrollWidth > el.clientWidth + 2) found.push({ what: 'slide (horizontal)', by: `${el.scrollWidth - el.clientWidth}px` })
        const box = el.getBoundingClientRect()
        /** what of the element can be seen: its box cut by every ancestor that clips (a scroll box shows part of it) */
        const visibleRect = (node: Element) => {
          const r = node.getBoundingClientRect()
          let { bottom, right } = r
          for (let a = node.parentElement; a && a !== el; a = a.parentElement) {
            const style = getComputedStyle(a)
            if (style.overflowX !== 'visible' || style.overflowY !== 'visible') {
              const c = a.getBoundingClientRect()
              bottom = Math.min(bottom, c.bottom)
              right = Math.min(right, c.right)
            }
          }
          return { width: r.width, height: r.height, bottom, right }
        }
        for (const child of Array.from(el.querySelectorAll('pre, .mermaid, svg, table, img'))) {
          if (child.closest('[data-testid="output"]')) continue // live output scrolls on purpose
          const r = visibleRect(child)
          if (r.width === 0 || r.height === 0) continue
          if (r.bottom > box.bottom + 2 || r.right > box.right + 2) found.push({ what: child.tagName.toLowerCase(), by: `${Math.round(Math.max(r.bottom - box.bottom, r.right - box.right))}px outside` })
          if (child.tagName === 'PRE' && child.scrollWidth > child.clientWidth + 2) found.push({ what: 'code block (hidden text)', by: `${child.scrollWidth - child.clientWidth}px` })
        }
        return found
      })
      for (const o of overflows) problems.push(`${scheme} slide ${no}: ${o.what} overflows by ${o.by}`)
    }
    assert.deepEqual(problems, [])
    assert.deepEqual(errors, [], `${scheme}: console errors`)
    await page.close()
  }
})
