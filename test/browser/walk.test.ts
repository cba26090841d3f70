// Walks every slide of the real deck in a browser at 1920 × 1080, every click revealed, with the live components drawing
// a rehearsal's recording (the fake lab's, made as `npm run demo:rehearse` makes one) and no cluster — what the room
// sees when the demo replays. On each slide: no text under 18.8 px (23.5 px for terminal output and the matrix), no two
// boxes crossing, no code box hiding lines, no cut title, text contrast ≥ 4.5 : 1 (axe-core), nothing painted off the
// slide, no console error; and on each build-up, nothing already on screen moves at the next click.
// The deck is light only (slides.md `colorSchema: light`): the checks run in light, and a dark-preferring browser still
// gets the light deck.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { Browser, Page } from 'playwright-core'
import AxeBuilder from '@axe-core/playwright'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DemoServer } from '../../demo-server/src/server.ts'
import { readDeck } from '../../scripts/lib/slides.ts'
import type { DeckSlide } from '../../scripts/lib/slides.ts'
import { recordRehearsal } from '../fakeLab/recording.ts'
import { demoServerFor, freePort, launchBrowser, startDeck, watchErrors } from '../support/deck.ts'
import type { RunningDeck } from '../support/deck.ts'
import { measureSlide, textBoxes } from '../support/slideChecks.ts'
import type { SlideProblem, TextBox } from '../support/slideChecks.ts'

const entry = process.env.DECK_ENTRY ?? 'slides.md'
/** 0.6 rem and 0.75 rem of the 980-px canvas, drawn 1920 px wide */
const MIN_TEXT_PX = 18.8
const MIN_OUTPUT_PX = 23.5
/** terminal output, commands and the matrix: the text a room reads off a live component */
const OUTPUT_TEXT = '[data-testid="output"], [data-testid="command"], .probe-matrix .pm-table, .fl-rows'
/** a crossing or a move smaller than this (screen px) is rounding, not a defect */
const TOLERANCE_PX = 3

let deck: RunningDeck
let server: DemoServer
let browser: Browser
let slides: DeckSlide[]

before(async () => {
  const work = mkdtempSync(join(tmpdir(), 'walk-'))
  const { recordingDir } = await recordRehearsal(join(work, 'rehearsal'))
  slides = await readDeck(undefined, entry)
  deck = await startDeck({ token: 'walk-test-token-0123456789', demoPort: await freePort(), entry })
  server = await demoServerFor(deck, { access: { kubeConfig: null, context: null, server: null, problem: 'no kubeconfig found' }, storeDir: join(work, 'runs'), recordingDir })
  browser = await launchBrowser()
})
after(async () => {
  await browser?.close()
  await server?.close()
  await deck?.stop()
})

type Nav = { __slidev__: { nav: { total: number; clicksTotal: number; go: (no: number, clicks?: number) => Promise<void> } } }

async function settle(page: Page, no: number): Promise<void> {
  await page.locator(`.slidev-page-${no} .slidev-layout`).first().waitFor({ timeout: 30_000 })
  await page.waitForFunction(() => !document.querySelector('#mermaid-rendering-container div, .slidev-slide-loading'), undefined, { timeout: 30_000 }).catch(() => {})
  await page.waitForFunction((n) => Array.from(document.querySelectorAll(`.slidev-page-${n} [data-waitfor]`)).every((el) => el.querySelector((el as HTMLElement).dataset.waitfor!)), no, { timeout: 15_000 })
  await page.evaluate(() => document.fonts.ready)
  await page.waitForTimeout(200)
}

/** `WALK_SLIDES=3,10-12` walks only those slides (while fixing them); unset, the whole deck */
function chosen(total: number): number[] {
  const spec = process.env.WALK_SLIDES?.trim()
  const all = Array.from({ length: total }, (_, i) => i + 1)
  if (!spec) return all
  const picked = new Set<number>()
  for (const part of spec.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim())
    if (!m) throw new Error(`WALK_SLIDES: "${part}" is not a slide number or range (e.g. 3,10-12)`)
    for (let n = Number(m[1]); n <= Number(m[2] ?? m[1]); n++) if (n >= 1 && n <= total) picked.add(n)
  }
  return all.filter((n) => picked.has(n))
}

const where = (no: number) => `slide ${no} (${slides[no - 1]?.file ?? '?'}${slides[no - 1]?.title ? `: ${slides[no - 1]!.title}` : ''})`

test('every slide, every click revealed: readable text, no crossing boxes, no hidden lines, no cut titles, contrast ≥ 4.5 : 1, no console error', async () => {
  // axe-core's Playwright runner opens a page of its own in the page's context: a context made by newContext()
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } })
  const page = await context.newPage()
  const errors = watchErrors(page)
  await page.goto(`${deck.deckUrl}/1`)
  await page.locator('.slidev-page').first().waitFor({ timeout: 60_000 })
  const total = await page.evaluate(() => (window as unknown as Nav).__slidev__.nav.total)
  assert.equal(total, slides.filter((s) => !s.hidden).length, 'the walk sees the slides the deck reader sees')
  const problems: string[] = []
  for (const no of chosen(total)) {
    await page.goto(`${deck.deckUrl}/${no}?clicks=99`)
    await settle(page, no)
    const found: SlideProblem[] = await page.evaluate(measureSlide, { no, minPx: MIN_TEXT_PX, outputMinPx: MIN_OUTPUT_PX, outputSelector: OUTPUT_TEXT, tolerancePx: TOLERANCE_PX })
    for (const p of found) problems.push(`${where(no)}: ${p.check}: ${p.what}: ${p.detail}`)
    const axe = await new AxeBuilder({ page }).include(`.slidev-page-${no}`).withRules(['color-contrast']).analyze()
    for (const v of axe.violations) {
      for (const n of v.nodes) problems.push(`${where(no)}: contrast: ${n.target.join(' ')}: ${(n.any[0]?.message ?? n.failureSummary ?? '').replace(/\s+/g, ' ')}`)
    }
  }
  assert.deepEqual(problems, [])
  assert.deepEqual(errors, [], 'console errors')
  await context.close()
})

test('build-ups never move what is already on screen', async () => {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } })
  await page.goto(`${deck.deckUrl}/1`)
  await page.locator('.slidev-page').first().waitFor({ timeout: 60_000 })
  const total = await page.evaluate(() => (window as unknown as Nav).__slidev__.nav.total)
  const problems: string[] = []
  let buildUps = 0
  for (const no of chosen(total)) {
    await page.evaluate((n) => (window as unknown as Nav).__slidev__.nav.go(n, 0), no)
    await settle(page, no)
    const clicks = await page.evaluate(() => (window as unknown as Nav).__slidev__.nav.clicksTotal)
    if (clicks === 0) continue
    buildUps++
    let before: TextBox[] = await page.evaluate(textBoxes, no)
    for (let k = 1; k <= clicks; k++) {
      await page.evaluate(([n, c]) => (window as unknown as Nav).__slidev__.nav.go(n!, c), [no, k])
      await settle(page, no)
      const now: TextBox[] = await page.evaluate(textBoxes, no)
      const at = new Map(now.map((b) => [b.key, b]))
      for (const b of before) {
        const a = at.get(b.key)
        if (a && (Math.abs(a.x - b.x) > TOLERANCE_PX || Math.abs(a.y - b.y) > TOLERANCE_PX)) {
          problems.push(`${where(no)}: click ${k} moves ${b.key} by (${Math.round(a.x - b.x)}, ${Math.round(a.y - b.y)}) px`)
        }
      }
      before = now
    }
  }
  if (!process.env.WALK_SLIDES) assert.ok(buildUps > 0, 'the deck has build-ups to check')
  assert.deepEqual(problems, [])
  await page.close()
})

test('light only: a browser that prefers dark still gets the light deck', async () => {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 }, colorScheme: 'dark' })
  await page.goto(`${deck.deckUrl}/1`)
  await page.locator('.slidev-page').first().waitFor({ timeout: 60_000 })
  assert.equal(await page.evaluate(() => document.documentElement.classList.contains('dark')), false)
  await page.close()
})
