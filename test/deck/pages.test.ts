// The slides name catalog actions and policy steps by id: every id a slide names must exist (a typo would show a dead
// component on stage), with the right kind for its component; and the demo slides follow the assessment's order.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { defaultActions } from '../../demo-server/src/catalog/index.ts'
import { policyStep, policySteps } from '../../demo-server/src/catalog/policySteps.ts'
import { REPO_ROOT } from '../../demo-server/src/manifests.ts'
import { expandPolicySteps } from '../../setup/preparser.ts'

const catalog = new Map(defaultActions().map((a) => [a.id, a]))

/** The deck's pages in slide order (slides.md `src:`), each with its text. */
const pages = [...readFileSync(join(REPO_ROOT, 'slides.md'), 'utf8').matchAll(/^src:\s*(\S+)$/gm)].map((m) => {
  const file = join('pages', m[1]!.replace(/^\.\/pages\//, ''))
  return { file, text: readFileSync(join(REPO_ROOT, file), 'utf8') }
})

interface Use { file: string; component: string; attribute: string; id: string }
/** Every `<Component attribute="id">` of the components that name the catalog. */
function uses(text: string, file: string): Use[] {
  const named = [...text.matchAll(/<(LiveRun|ProbeMatrix|PolicyStep|FlowLog)\b[^>]*?\b(action|step)="([^"]*)"/g)].map((m) => ({ file, component: m[1]!, attribute: m[2]!, id: m[3]! }))
  // <PolicyStep … flows="id"/> draws a <FlowLog action="id"> under the step
  const flows = [...text.matchAll(/<PolicyStep\b[^>]*?\bflows="([^"]*)"/g)].map((m) => ({ file, component: 'FlowLog', attribute: 'action', id: m[1]! }))
  return [...named, ...flows]
}
const all = pages.flatMap((p) => uses(p.text, p.file))

/** The action ids the slides show, in slide order (a policy step counts as its apply action). */
const idsOf = (list: Use[]) => list.map((u) => (u.component === 'PolicyStep' ? policyStep(u.id)?.apply ?? u.id : u.id))
const sequence = idsOf(all)
/** The same for the demo's own slides (the talk before it shows a few steps too). */
const demo = idsOf(pages.filter((p) => p.file.includes('-demo-')).flatMap((p) => uses(p.text, p.file)))

test('the deck has its pages, and the pages name the catalog', () => {
  assert.ok(pages.length > 20, `${pages.length} pages`)
  assert.ok(all.length > 30, `${all.length} components name an action or a step`)
})

test('every action id a slide names exists in the catalog, with the kind its component draws', () => {
  const problems: string[] = []
  for (const u of all) {
    if (u.component === 'PolicyStep') {
      if (u.attribute !== 'step' || !policyStep(u.id)) problems.push(`${u.file}: <PolicyStep step="${u.id}"> names no policy step (known: ${policySteps.map((s) => s.id).join(', ')})`)
      continue
    }
    const action = catalog.get(u.id)
    if (u.attribute !== 'action' || !action) problems.push(`${u.file}: <${u.component} ${u.attribute}="${u.id}"> names no action of the catalog`)
    else if (u.component === 'ProbeMatrix' && action.kind !== 'probe-matrix') problems.push(`${u.file}: <ProbeMatrix action="${u.id}"> is a ${action.kind} action`)
    else if (u.component === 'LiveRun' && action.kind === 'probe-matrix') problems.push(`${u.file}: <LiveRun action="${u.id}"> is a matrix: use <ProbeMatrix>`)
    else if (u.component === 'FlowLog' && action.kind !== 'flows') problems.push(`${u.file}: <FlowLog action="${u.id}"> is a ${action.kind} action`)
    else if (u.component === 'LiveRun' && action.kind === 'flows') problems.push(`${u.file}: <LiveRun action="${u.id}"> reads flow records: use <FlowLog>`)
  }
  assert.deepEqual(problems, [])
})

test('each policy step has its slide, in step order, and its file goes into the slot', () => {
  const shown = all.filter((u) => u.component === 'PolicyStep').map((u) => u.id)
  assert.deepEqual(shown, policySteps.map((s) => s.id))
  for (const p of pages) {
    for (const u of uses(p.text, p.file).filter((x) => x.component === 'PolicyStep')) {
      const expanded = expandPolicySteps(p.text)
      assert.ok(new RegExp(`<PolicyStep step="${u.id}"[^>]*>\n\n<<< @/${policyStep(u.id)!.file} yaml\n\n</PolicyStep>`).test(expanded), `${p.file}: the preparser gives <PolicyStep step="${u.id}"/> its file`)
    }
  }
  assert.equal(expandPolicySteps('<PolicyStep step="no-such-step"/>'), '<PolicyStep step="no-such-step"/>', 'an unknown step is left alone (and fails the test above)')
  assert.equal(expandPolicySteps('<PolicyStep step="details" height="5rem"/>'), '<PolicyStep step="details" height="5rem">\n\n<<< @/manifests/52-policy-details.yaml yaml\n\n</PolicyStep>', 'other attributes pass through')
})

test('each policy step’s slide says its number, as the step declaration counts it', () => {
  for (const p of pages) {
    for (const u of uses(p.text, p.file).filter((x) => x.component === 'PolicyStep')) {
      const heading = /^# (.*)$/m.exec(p.text)?.[1] ?? ''
      assert.match(heading, new RegExp(`\\bStep ${policyStep(u.id)!.number} ·`), `${p.file}: "${heading}" is step ${policyStep(u.id)!.number}`)
    }
  }
})

test('the demo slides follow the assessment’s order', () => {
  const at = (id: string) => {
    const i = demo.indexOf(id)
    assert.ok(i >= 0, `${id} is on a slide`)
    return i
  }
  const order = [
    'dev1-get-all',
    'probe-ratings-productpage',
    'probe-alpine-dev1-productpage',
    'probe-alpine-default-productpage',
    'probe-host1-productpage',
    'probe-other-range-productpage',
    ...policySteps.map((s) => s.apply),
    'probe-ratings-productpage-after',
    'probe-alpine-dev1-productpage-after',
    'probe-alpine-default-productpage-after',
    'probe-host1-productpage-after',
    'probe-other-range-productpage-after',
    'node-routes',
    'pod-network',
    'ipam-blocks',
    'calico-system-pods',
    'tigerastatus',
  ]
  for (let i = 1; i < order.length; i++) assert.ok(at(order[i - 1]!) < at(order[i]!), `${order[i - 1]} before ${order[i]}`)
  // every probe of the baseline is shown again after the policies, later in the deck
  for (const id of demo.filter((x) => x.startsWith('probe-') && !x.endsWith('-after'))) {
    assert.ok(demo.lastIndexOf(`${id}-after`) > demo.indexOf(id), `${id} is probed again after the policies`)
  }
})

test('every action of the catalog is on a slide (nothing ships unused)', () => {
  const onSlides = new Set([...sequence, ...policySteps.flatMap((s) => [s.remove, s.matrix])])
  const unused = [...catalog.keys()].filter((id) => !onSlides.has(id))
  assert.deepEqual(unused, [])
})
