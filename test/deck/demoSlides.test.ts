// A demo slide stands on its own: an interviewer who looks up mid-demo can tell what the slide shows (its title), what
// to look at in it (one line under the title) and what ran (a live component, which always shows its command).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readDeck } from '../../scripts/lib/slides.ts'

const demo = (await readDeck()).filter((s) => s.demo && !s.hidden)
/** The policy-step slides draw their own frame (<PolicyStep>: the step, its file, its matrix). */
const framed = demo.filter((s) => !/-demo-step-/.test(s.file))
/** The line right under the title: Slidev draws a paragraph that follows the h1 as its subtitle. */
const lookAt = (content: string) => /^# .+\n\n(Look at: .+)$/m.exec(content)?.[1]

test('every demo slide has a title of its own', () => {
  assert.ok(demo.length > 10)
  const titles = demo.map((s) => s.title)
  assert.deepEqual(titles.filter((t) => !t), [], 'a demo slide without a title')
  assert.deepEqual(titles.filter((t, i) => titles.indexOf(t) !== i), [], 'two demo slides with the same title')
})

test('every demo slide outside the policy steps says what to look at, in one line under its title', () => {
  const missing = framed.filter((s) => !lookAt(s.content)).map((s) => `${s.file}: "${s.title}"`)
  assert.deepEqual(missing, [])
  const long = framed.filter((s) => (lookAt(s.content) ?? '').length > 100).map((s) => `${s.file}: ${lookAt(s.content)!.length} characters`)
  assert.deepEqual(long, [], 'one line at the slide’s width')
})

test('every demo slide runs something live, and so shows the command behind it', () => {
  assert.deepEqual(demo.filter((s) => s.uses.length === 0).map((s) => s.file), [])
})

test('the look-at reader takes only the line right under the title', () => {
  assert.equal(lookAt('# Demo · x\n\nLook at: the nodes\n\n<LiveRun action="a"/>'), 'Look at: the nodes')
  assert.equal(lookAt('# Demo · x\n\n<LiveRun action="a"/>\n\nLook at: the nodes'), undefined)
})
