// The presenter glances at a note's `⏱ m:ss`: where the part's clock should be when the slide ends. Each part has its
// own clock — the demo's starts at its first slide, the presentation's at the cover — in whichever order the entry
// runs them (DECK_ENTRY), so a checkpoint is the sum of the planned seconds of its part's slides up to and including
// its own. A slide whose time changes moves every checkpoint after it: this test says which ones to correct.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readDeck } from '../../scripts/lib/slides.ts'
import type { DeckSlide } from '../../scripts/lib/slides.ts'

const slides = (await readDeck()).filter((s) => !s.hidden && !s.backup)
const CHECKPOINT = /⏱\s*(\d+):(\d{2})/
const clock = (seconds: number) => `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`

/** Each slide's checkpoint as written, and where its part's clock is when it ends. */
function checkpoints(list: readonly DeckSlide[]): Array<{ slide: DeckSlide; written: number | undefined; planned: number }> {
  const elapsed = { demo: 0, presentation: 0 }
  return list.map((slide) => {
    const part = slide.demo ? 'demo' : 'presentation'
    elapsed[part] += slide.seconds ?? 0
    const m = CHECKPOINT.exec(slide.note)
    return { slide, written: m ? Number(m[1]) * 60 + Number(m[2]) : undefined, planned: elapsed[part] }
  })
}

test('every checkpoint a note writes is where its part’s clock is when the slide ends', () => {
  const wrong = checkpoints(slides)
    .filter((c) => c.written !== undefined && c.written !== c.planned)
    .map((c) => `${c.slide.file} (slide ${c.slide.no}, ${c.slide.demo ? 'demo' : 'presentation'}): ⏱ ${clock(c.written!)} written, ${clock(c.planned)} planned`)
  assert.deepEqual(wrong, [])
})

test('every demo slide carries its checkpoint', () => {
  const missing = slides.filter((s) => s.demo && !CHECKPOINT.test(s.note)).map((s) => s.file)
  assert.deepEqual(missing, [])
})

test('the count: a part’s clock runs on its own slides only, whatever sits between them', () => {
  const slide = (demo: boolean, seconds: number, note: string) => ({ demo, seconds, note }) as DeckSlide
  const counted = checkpoints([slide(false, 10, '[10 s] ⏱ 0:10'), slide(true, 120, '[120 s] ⏱ 2:00'), slide(false, 40, '[40 s] ⏱ 0:50'), slide(true, 60, '[60 s] ⏱ 3:05')])
  assert.deepEqual(counted.map((c) => [c.written, c.planned]), [[10, 10], [120, 120], [50, 50], [185, 180]])
})
