// The two orders of the deck: slides.md runs the demo first (the assessment's interview: 30 minutes of demo, then the
// 15-minute presentation), slides-talk-first.md the presentation first. They must be the same deck — same headmatter,
// same slides — with only the two parts swapped, and the switch between them must never silently pick the other one.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { load } from '@slidev/parser/fs'
import { DECK_ENTRIES, deckEntry, DeckEntryError, deckOrder } from '../../scripts/lib/deckEntry.ts'
import { readDeck } from '../../scripts/lib/slides.ts'
import type { DeckSlide } from '../../scripts/lib/slides.ts'
import { REPO_ROOT } from '../../demo-server/src/manifests.ts'

const demoFirst = await readDeck(REPO_ROOT, DECK_ENTRIES.demoFirst)
const talkFirst = await readDeck(REPO_ROOT, DECK_ENTRIES.talkFirst)
const key = (s: DeckSlide) => `${s.file} · ${s.title}`
/** The parts, as both entries import them (a divider or a new slide is added to a part there). */
const demoPart = (await readDeck(REPO_ROOT, 'pages/parts/demo.md')).map(key)
const talkPart = (await readDeck(REPO_ROOT, 'pages/parts/presentation.md')).map(key)

/** Where `part` sits in `deck`: its index, checked to be one unbroken block. */
function blockAt(deck: string[], part: string[], name: string): number {
  const at = deck.indexOf(part[0]!)
  assert.ok(at >= 0, `${name} is in the deck`)
  assert.deepEqual(deck.slice(at, at + part.length), part, `${name} is one block, in its own order`)
  return at
}

test('the parts: every demo slide in the demo part, none in the presentation', () => {
  assert.ok(demoPart.length > 10 && talkPart.length > 10, `${demoPart.length} demo slides, ${talkPart.length} presentation slides`)
  const demoSlides = demoFirst.filter((s) => s.demo).map(key)
  assert.deepEqual(demoSlides.filter((k) => !demoPart.includes(k)), [], 'a demo page outside pages/parts/demo.md')
  assert.deepEqual(talkPart.filter((k) => demoSlides.includes(k)), [], 'a demo page in pages/parts/presentation.md')
})

test('slides.md: the cover and agenda, then the demo, then the presentation (the assessment’s order)', () => {
  const deck = demoFirst.map(key)
  const demo = blockAt(deck, demoPart, 'the demo')
  const talk = blockAt(deck, talkPart, 'the presentation')
  assert.deepEqual(demoFirst.slice(0, demo).map((s) => s.file), ['pages/01-intro.md', 'pages/01-intro.md'], 'only the cover and the agenda before the demo')
  assert.equal(talk, demo + demoPart.length, 'the presentation right after the demo')
})

test('slides-talk-first.md: the same slides with the two parts swapped, and the same headmatter', async () => {
  const deck = talkFirst.map(key)
  const talk = blockAt(deck, talkPart, 'the presentation')
  const demo = blockAt(deck, demoPart, 'the demo')
  assert.equal(demo, talk + talkPart.length, 'the demo right after the presentation')
  const swapped = demoFirst.map(key)
  swapped.splice(swapped.indexOf(demoPart[0]!), demoPart.length + talkPart.length, ...talkPart, ...demoPart)
  assert.deepEqual(deck, swapped, 'everything else in the same place')
  assert.deepEqual(talkFirst.map((s) => s.note).sort(), demoFirst.map((s) => s.note).sort(), 'the same notes')
  const [a, b] = await Promise.all([load(REPO_ROOT, join(REPO_ROOT, DECK_ENTRIES.demoFirst)), load(REPO_ROOT, join(REPO_ROOT, DECK_ENTRIES.talkFirst))])
  assert.deepEqual(b.headmatter, a.headmatter, 'one headmatter: theme, fonts, colours and timer the same in both orders')
})

test('the switch: nothing chosen is slides.md; --talk-first, --entry or DECK_ENTRY pick another; two different choices or a missing file are refused', () => {
  assert.equal(deckEntry({}, {}), 'slides.md')
  assert.equal(deckEntry({ talkFirst: true }, {}), 'slides-talk-first.md')
  assert.equal(deckEntry({}, { DECK_ENTRY: 'slides-talk-first.md' }), 'slides-talk-first.md')
  assert.equal(deckEntry({ talkFirst: true }, { DECK_ENTRY: 'slides-talk-first.md' }), 'slides-talk-first.md', 'two ways to ask for the same order agree')
  assert.equal(deckEntry({ entry: join(REPO_ROOT, 'slides.md') }, {}), 'slides.md', 'an absolute path to the entry is the entry')
  assert.throws(() => deckEntry({ talkFirst: true }, { DECK_ENTRY: 'slides.md' }), /--talk-first asks for slides-talk-first\.md, DECK_ENTRY for slides\.md: choose one/)
  assert.throws(() => deckEntry({ talkFirst: true, entry: 'slides.md' }, {}), DeckEntryError)
  assert.throws(() => deckEntry({}, { DECK_ENTRY: 'no-such-deck.md' }), /no deck at .*no-such-deck\.md \(slides\.md or slides-talk-first\.md\)/)
  assert.equal(deckOrder('slides.md'), 'the demo, then the presentation')
  assert.equal(deckOrder('slides-talk-first.md'), 'the presentation, then the demo')
})

test('the deck reader follows DECK_ENTRY (so the deck tests and the rehearsal read the order chosen)', () => {
  const script = `import { readDeck } from ${JSON.stringify(join(REPO_ROOT, 'scripts/lib/slides.ts'))}; const d = await readDeck(); console.log(d.findIndex((s) => s.demo))`
  const firstDemo = (env: NodeJS.ProcessEnv) => spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, ...env } })
  const def = firstDemo({ DECK_ENTRY: '' })
  const other = firstDemo({ DECK_ENTRY: DECK_ENTRIES.talkFirst })
  assert.equal(def.status, 0, def.stderr)
  assert.equal(other.status, 0, other.stderr)
  assert.equal(Number(def.stdout), demoFirst.findIndex((s) => s.demo))
  assert.equal(Number(other.stdout), talkFirst.findIndex((s) => s.demo))
  assert.notEqual(Number(def.stdout), Number(other.stdout))
})

test('npm start and npm run export refuse two different orders, or a deck that is not there, before starting anything', () => {
  for (const [script, args, env, message] of [
    ['start.ts', ['--talk-first'], { DECK_ENTRY: 'slides.md' }, /^npm start: --talk-first asks for slides-talk-first\.md, DECK_ENTRY for slides\.md: choose one\n$/],
    ['start.ts', [], { DECK_ENTRY: 'no-such-deck.md' }, /^npm start: no deck at .*no-such-deck\.md/],
    ['start.ts', ['--talk-first=yes'], {}, /^npm start: .*--talk-first.*\nusage: npm start -- \[--port 3030\] \[--context NAME\] \[--talk-first\]/],
    ['export.ts', ['--talk-first', '--entry', 'slides.md', '--executable-path', '/bin/true', '--no-recording'], { DECK_ENTRY: '' }, /^npm run export: --talk-first asks for slides-talk-first\.md, --entry for slides\.md: choose one\n$/],
    ['export.ts', ['--entry', 'no-such-deck.md', '--executable-path', '/bin/true', '--no-recording'], { DECK_ENTRY: '' }, /^npm run export: no deck at /],
  ] as const) {
    const run = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts', script), ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } })
    assert.equal(run.status, 2, `${script} ${args.join(' ')}: ${run.stderr}`)
    assert.match(run.stderr, message)
    assert.equal(run.stdout, '', 'nothing started')
  }
})
