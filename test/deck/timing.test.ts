// Time to breathe: the speaker notes plan each slide (`[40 s]`) and say what the presenter says on it. Spoken at a
// calm pace, the words fit the seconds; each part keeps slack for a question or a slow step. Read by the same reader as
// the rehearsal (scripts/lib/slides.ts), so the plan the rehearsal measures is the plan checked here.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { plannedSeconds, readDeck, spokenText, spokenWords, TIME_LIMITS } from '../../scripts/lib/slides.ts'
import type { DeckSlide } from '../../scripts/lib/slides.ts'

const slides = (await readDeck()).filter((s) => !s.hidden)
const partOf = (s: DeckSlide) => (s.backup ? 'backup' : s.demo ? 'demo' : s.after ? 'after' : 'presentation')

interface Row { no: number; file: string; part: string; words: number; seconds: number; wpm: number }
const rows: Row[] = slides.map((s) => {
  const words = spokenWords(s.note)
  const seconds = s.seconds ?? 0
  return { no: s.no, file: s.file, part: partOf(s), words, seconds, wpm: seconds > 0 ? Math.round((words * 60) / seconds) : words > 0 ? Infinity : 0 }
})
const timed = rows.filter((r) => r.part === 'presentation' || r.part === 'demo')
const total = (part: string, key: 'words' | 'seconds') => timed.filter((r) => r.part === part).reduce((sum, r) => sum + r[key], 0)

test('the timing table (words, seconds, words a minute per slide; totals per part)', (t) => {
  for (const r of timed.filter((x) => x.words > 0 || x.seconds > 0)) t.diagnostic(`${String(r.no).padStart(3)} ${r.part.padEnd(12)} ${String(r.words).padStart(4)} w ${String(r.seconds).padStart(4)} s ${String(r.wpm).padStart(4)} wpm  ${r.file}`)
  for (const part of ['presentation', 'demo']) t.diagnostic(`${part}: ${total(part, 'words')} words, ${total(part, 'seconds')} s planned`)
  assert.ok(timed.length > 20)
})

test('no slide asks for more than 160 words a minute; a slide with words plans its time', () => {
  const rushed = timed.filter((r) => r.wpm > TIME_LIMITS.wordsPerMinute).map((r) => `${r.file} (slide ${r.no}): ${r.words} words in ${r.seconds} s = ${r.wpm} wpm`)
  assert.deepEqual(rushed, [])
})

test('the presentation: at most 2,100 spoken words, planned in at most 840 s (60 s of its 15 minutes to spare)', () => {
  const words = total('presentation', 'words')
  const seconds = total('presentation', 'seconds')
  assert.ok(words <= TIME_LIMITS.presentationWords, `the presentation's notes hold ${words} words (limit ${TIME_LIMITS.presentationWords})`)
  assert.ok(seconds <= TIME_LIMITS.presentationSeconds, `the presentation plans ${seconds} s (limit ${TIME_LIMITS.presentationSeconds})`)
  assert.ok(seconds > 0 && words > 0, 'the presentation has timed notes')
})

test('the demo: planned in at most 1,680 s (two minutes of its 30 to spare)', () => {
  const seconds = total('demo', 'seconds')
  assert.ok(seconds <= TIME_LIMITS.demoSeconds, `the demo plans ${seconds} s (limit ${TIME_LIMITS.demoSeconds})`)
})

test('every timed slide cites its sources at the end of its note', () => {
  const missing = slides.filter((s) => s.seconds !== undefined && !/^\s*Sources?:/m.test(s.note)).map((s) => s.file)
  assert.deepEqual(missing, [])
})

test('each timed note opens with its plan and checkpoint: `[N s] ⏱ m:ss`', () => {
  const wrong = slides
    .filter((s) => s.seconds !== undefined && (partOf(s) === 'presentation' || partOf(s) === 'demo'))
    .map((s) => ({ s, first: s.note.trim().split('\n')[0]!.trim() }))
    .filter(({ first }) => !/^\[\d+ s\] ⏱ \d+:\d{2}$/.test(first))
    .map(({ s, first }) => `${s.file} (slide ${s.no}): first line "${first.slice(0, 40)}"`)
  assert.deepEqual(wrong, [])
})

test('each timed note gives 3 to 5 cues, each opening with its cue word in bold', () => {
  const cues = (note: string) => (note.split(/^\s*Sources?:/m)[0] ?? '').split('\n').filter((l) => /^(\[click(:\d+)?\]\s*)?\*\*/.test(l.trim())).length
  const off = slides.filter((s) => s.seconds !== undefined && !s.backup).map((s) => ({ s, n: cues(s.note) })).filter(({ n }) => n < 3 || n > 5).map(({ s, n }) => `${s.file} (slide ${s.no}): ${n} cues`)
  assert.deepEqual(off, [])
})

test('backup slides stay out of both parts and each has a route to jump to', () => {
  const backups = slides.filter((s) => s.backup)
  assert.ok(backups.length >= 12, `${backups.length} backup slides`)
  const noRoute = backups.filter((s) => typeof s.frontmatter.routeAlias !== 'string').map((s) => `${s.file}: ${s.title}`)
  assert.deepEqual(noRoute, [])
})

test('the counting: sources, planned time, checkpoints, click markers and emphasis are not words', () => {
  const note = '[40 s] ⏱ 4:10\n\n**Pool → blocks**: the `/26` blocks.\n\n[click] **Borrowing** unless strictAffinity.\n\nSources:\n- https://docs.tigera.io/calico/3.31/x (many words here)'
  assert.equal(plannedSeconds(note), 40)
  assert.equal(spokenText(note).includes('Sources'), false)
  assert.equal(spokenWords(note), 8)
  assert.equal(spokenWords(''), 0)
  assert.equal(spokenWords('[click:3] one two'), 2)
})
