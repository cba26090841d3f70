// The deck's sections come from the slide order: dividers are counted (parts through the deck, topics inside their
// part), so moving the demo before the presentation renumbers every divider and footer with no number written.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { sectionLabel, sectionsOf } from '../../setup/sections.ts'
import { readDeck } from '../../scripts/lib/slides.ts'
import { load } from '@slidev/parser/fs'
import { join } from 'node:path'
import { REPO_ROOT } from '../../demo-server/src/manifests.ts'
import { deckEntry } from '../../scripts/lib/deckEntry.ts'

/** the entry under test (DECK_ENTRY picks the other order), the one readDeck reads too */
const entry = deckEntry()

const part = (title: string) => ({ layout: 'section', part: title })
const topic = (title: string) => ({ layout: 'section', topic: title })
const slide = (extra: Record<string, unknown> = {}) => ({ layout: 'default', ...extra })

test('parts are counted through the deck, topics inside their part; a content slide carries both', () => {
  const s = sectionsOf([{ layout: 'cover' }, part('Presentation'), slide({ section: 'The lab' }), topic('Deploy'), slide(), topic('Pod networking'), slide(), part('Live demo'), slide()])
  assert.equal(sectionLabel(s[0]!), '')
  assert.deepEqual(s[1]!.divider, { kind: 'part', title: 'Presentation', number: 1, slide: 2 })
  assert.equal(sectionLabel(s[2]!), 'Part 1 · Presentation › The lab')
  assert.equal(s[3]!.divider?.number, 1)
  assert.equal(sectionLabel(s[4]!), 'Part 1 · Presentation › 1 Deploy')
  assert.equal(sectionLabel(s[6]!), 'Part 1 · Presentation › 2 Pod networking')
  assert.equal(sectionLabel(s[8]!), 'Part 2 · Live demo', 'a new part leaves the last topic behind')
})

test('the demo first: the same dividers, renumbered by their order', () => {
  const s = sectionsOf([part('Live demo'), slide(), part('Presentation'), topic('Deploy'), slide()])
  assert.equal(sectionLabel(s[1]!), 'Part 1 · Live demo')
  assert.equal(sectionLabel(s[4]!), 'Part 2 · Presentation › 1 Deploy')
})

test('a slide with `section:` opens an unnumbered stretch; a divider without a part or topic is no divider', () => {
  const s = sectionsOf([part('Presentation'), topic('Exposing'), slide(), slide({ section: 'Challenges met' }), slide(), { layout: 'section' }])
  assert.equal(sectionLabel(s[3]!), 'Part 1 · Presentation › Challenges met')
  assert.equal(sectionLabel(s[4]!), 'Part 1 · Presentation › Challenges met')
  assert.equal(s[5]!.divider, undefined)
})

test('the deck: two parts, the four topics in the presentation, every demo slide inside the demo part', async () => {
  const data = await load(REPO_ROOT, join(REPO_ROOT, entry))
  const sections = sectionsOf(data.slides.map((s) => s.frontmatter as Record<string, unknown>))
  const dividers = sections.flatMap((s) => (s.divider ? [s.divider] : []))
  assert.deepEqual(dividers.filter((d) => d.kind === 'part').map((d) => d.title).sort(), ['Live demo', 'Presentation'])
  const presentation = dividers.find((d) => d.kind === 'part' && d.title === 'Presentation')!
  const topics = sections.filter((s) => s.divider?.kind === 'topic' && s.part === presentation).map((s) => s.divider!.number)
  assert.deepEqual(topics, [1, 2, 3, 4])
  const slides = await readDeck()
  for (const s of slides.filter((x) => x.demo)) assert.equal(sections[s.no - 1]?.part?.title, 'Live demo', `${s.file} is in the demo part`)
})

test('the `demo` route lands on the first slide of the demo part, whatever the order of the parts', async () => {
  const data = await load(REPO_ROOT, join(REPO_ROOT, entry))
  const frontmatters = data.slides.map((s) => s.frontmatter as Record<string, unknown>)
  const sections = sectionsOf(frontmatters)
  const aliased = frontmatters.flatMap((f, i) => (f.routeAlias === 'demo' ? [i] : []))
  assert.equal(aliased.length, 1, 'one slide has routeAlias: demo')
  const first = sections.findIndex((s) => s.part?.title === 'Live demo')
  assert.ok(first >= 0, 'the deck has a Live demo part')
  assert.equal(aliased[0], first, `/demo goes to slide ${aliased[0]! + 1}, the demo part starts at slide ${first + 1}`)
})
