// The slides name catalog actions and policy steps by id: every id a slide names must exist (a typo would show a dead
// component on stage), with the right kind for its component; and the demo slides follow the assessment's order. The
// slides are read by the same reader as the rehearsal's (scripts/lib/slides.ts), which runs the steps in this order.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { defaultActions } from '../../demo-server/src/catalog/index.ts'
import { policyStep, policySteps } from '../../demo-server/src/catalog/policySteps.ts'
import { expandPolicySteps } from '../../setup/preparser.ts'
import { actionOrder, actionUses, DEMO_BUDGET_SECONDS, plannedSeconds, readDeck } from '../../scripts/lib/slides.ts'
import type { ActionUse } from '../../scripts/lib/slides.ts'

const catalog = new Map(defaultActions().map((a) => [a.id, a]))

/** The deck's slides in order (slides.md and its `src:` pages), as Slidev parses them. */
const slides = await readDeck()

type Use = ActionUse & { file: string }
const usesOf = (list: typeof slides): Use[] => list.flatMap((s) => s.uses.map((u) => ({ ...u, file: s.file })))
const all = usesOf(slides)

/** The action ids the slides show, in slide order (a policy step counts as its apply action). */
const idsOf = (list: Use[]) => list.map((u) => u.action ?? u.id)
const sequence = idsOf(all)
/** The same for the demo's own slides (the talk before it shows a few steps too). */
const demo = idsOf(usesOf(slides.filter((s) => s.demo)))

test('the deck has its slides, and the slides name the catalog', () => {
  assert.ok(slides.length > 20, `${slides.length} slides`)
  assert.ok(slides.filter((s) => s.demo).length > 10, 'the demo slides are told apart from the talk')
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
  for (const s of slides) {
    for (const u of s.uses.filter((x) => x.component === 'PolicyStep')) {
      const expanded = expandPolicySteps(s.content)
      assert.ok(new RegExp(`<PolicyStep step="${u.id}"[^>]*>\n\n<<< @/${policyStep(u.id)!.file} yaml\n\n</PolicyStep>`).test(expanded), `${s.file}: the preparser gives <PolicyStep step="${u.id}"/> its file`)
    }
  }
  assert.equal(expandPolicySteps('<PolicyStep step="no-such-step"/>'), '<PolicyStep step="no-such-step"/>', 'an unknown step is left alone (and fails the test above)')
  assert.equal(expandPolicySteps('<PolicyStep step="details" height="5rem"/>'), '<PolicyStep step="details" height="5rem">\n\n<<< @/manifests/51-policy-productpage-to-details.yaml yaml\n\n</PolicyStep>', 'other attributes pass through')
})

test('each policy step’s slide says its number, as the step declaration counts it', () => {
  for (const s of slides) {
    for (const u of s.uses.filter((x) => x.component === 'PolicyStep')) {
      const heading = /^# (.*)$/m.exec(s.content)?.[1] ?? ''
      assert.match(heading, new RegExp(`\\bStep ${policyStep(u.id)!.number} ·`), `${s.file}: "${heading}" is step ${policyStep(u.id)!.number}`)
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

test('the reader: uses in order (a policy step as its apply action), planned seconds, each action once at its first slide', () => {
  assert.deepEqual(actionUses('<LiveRun action="a"/> text <PolicyStep step="details"/> <ProbeMatrix class="x" action="m" />').map((u) => [u.component, u.id, u.action]), [
    ['LiveRun', 'a', 'a'],
    ['PolicyStep', 'details', policyStep('details')!.apply],
    ['ProbeMatrix', 'm', 'm'],
  ])
  assert.equal(actionUses('<PolicyStep step="no-such-step"/>')[0]!.action, undefined)
  assert.deepEqual(actionUses('<PolicyStep step="default-deny-staged" flows="flows-dev1-watch"/> <FlowLog action="f"/>').map((u) => [u.component, u.id]), [
    ['FlowLog', 'flows-dev1-watch'],
    ['PolicyStep', 'default-deny-staged'],
    ['FlowLog', 'f'],
  ], 'a step’s flow log counts first; a FlowLog of its own counts too')
  assert.equal(plannedSeconds('[70 s] Say: …\n[35 s] Point at: …'), 105)
  assert.equal(plannedSeconds('[click] no time here'), undefined)
  const order = actionOrder(slides)
  assert.equal(new Set(order.map((o) => o.action)).size, order.length, 'each action once')
  assert.deepEqual(order.map((o) => o.action), [...new Set(sequence)], 'in the order the slides first show them')
})

test('the notes plan the demo in its 30 minutes, every demo slide with its own time', () => {
  const demoSlides = slides.filter((s) => s.demo && !s.hidden)
  assert.deepEqual(demoSlides.filter((s) => s.seconds === undefined).map((s) => s.file), [], 'a demo slide without [N s] in its note')
  const planned = demoSlides.reduce((sum, s) => sum + (s.seconds ?? 0), 0)
  assert.ok(planned <= DEMO_BUDGET_SECONDS, `the demo slides plan ${planned} s, more than the ${DEMO_BUDGET_SECONDS} s of the demo`)
})
