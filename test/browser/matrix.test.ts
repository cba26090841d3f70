// The matrix slide in a real browser against the fake API server: before any run it shows the expectation from
// manifests/ (and says so); "Probe all" fills the cells as probes finish, a disagreeing cell says "settling" while it is
// probed again, then Calico's opinion (a fake whisker pod's flow records) fills the third place of every cell;
// mismatches stand out, hovering explains a cell; a PolicyStep's Apply re-runs the matrix by itself. The lab is fixed —
// the kind rehearsal, whose outside clients are reached through a stand-in `docker` — so every count holds on any
// machine, docker or multipass installed or not.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import type { Browser, Locator, Page } from 'playwright-core'
import { labObjects } from '../support/labObjects.ts'
import { allowedScript, droppedScript, labExecHandler, labPolicies, standInDocker } from '../support/matrixLab.ts'
import { policyStep } from '../../demo-server/src/catalog/policySteps.ts'
import { defaultActions } from '../../demo-server/src/catalog/index.ts'
import { ALLOWED_RANGE_SET, cellRecords, profile, withQuickFlowLogs } from '../support/flowLab.ts'
import { watchErrors } from '../support/deck.ts'
import type { RunningDeck } from '../support/deck.ts'
import { startFlowLabDeck } from '../support/flowLabDeck.ts'
import type { FlowLabDeck } from '../support/flowLabDeck.ts'

const entry = process.env.DECK_ENTRY ?? 'slides.md'
let running: FlowLabDeck
let deck: RunningDeck
let browser: Browser
/** The shipped catalog, its matrices' flow-log wait shortened */
const actions = withQuickFlowLogs(defaultActions())

before(async () => {
  running = await startFlowLabDeck({
    name: 'matrix',
    entry,
    // every lab policy but the details step, which the slide's PolicyStep applies; the allowed range's
    // GlobalNetworkSet, by which Calico's flow logs tell host1 from the other range
    objects: [...labObjects(), ...ALLOWED_RANGE_SET, ...labPolicies(['default-deny', 'reviews', 'ratings', 'outside-range'])],
    // the kind rehearsal's context: its host steps and outside clients go through `docker`
    dockerBin: standInDocker(),
    actions,
    // denied probes take a while (they wait out their timeout); one cell disagrees with the policies
    exec: ({ fake, lab }) => labExecHandler({
      deniedMs: 700,
      allowedMs: 20,
      override: (row, col, req) => {
        if (row === 'alpine-default' && col === 'ratings') {
          // Calico records the connection the probe made (the engine alone expects a deny)
          for (const r of cellRecords(row, col, Math.floor(Date.now() / 1000), { src: { action: 'Allow', enforced: [profile('default')] }, dst: { action: 'Allow', enforced: [profile('dev1')] } })) lab.whisker.add(r)
          return allowedScript(req, 20)
        }
        // productpage → details connects only once the details step (details' ingress) is in the cluster
        const step3 = fake.objects().some((o) => (o as { metadata: { name: string }; apiVersion: string }).apiVersion === 'projectcalico.org/v3' && (o as { metadata: { name: string } }).metadata.name === 'details-from-productpage')
        if (row === 'productpage' && col === 'details' && !step3) return droppedScript(req, 700)
        return undefined
      },
    }),
  })
  ;({ deck, browser } = running)
})
after(() => running?.close())

const count = (l: Locator) => l.count()
const DETAILS = policyStep('details')!

test('the matrix slide: expected from manifests first, then cells fill live, the mismatch marked, hover explains', async () => {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } })
  const errors = watchErrors(page)
  await page.goto(`${deck.deckUrl}/demo-step-details`)
  const matrix = page.locator(`.slidev-page .probe-matrix[data-action="${DETAILS.matrix}"]:visible`).first()
  await matrix.waitFor({ timeout: 60_000 })

  // before any run: the engine on manifests/, labelled as such; no observation
  await matrix.locator('[data-testid="expected-source"]').getByText('expected (from manifests, not read from a cluster)').waitFor()
  assert.equal(await matrix.getAttribute('data-source'), 'manifests')
  assert.equal(await count(matrix.locator('td.pm-cell')), 50)
  assert.equal(await count(matrix.locator('td.pm-cell[data-observed="allowed"], td.pm-cell[data-observed="denied"]')), 0)
  assert.equal(await matrix.getByTestId('label').innerText(), 'not run yet')
  assert.equal(await matrix.locator('td[data-cell="productpage|details"]').getAttribute('data-expected'), 'allowed')

  // live: the cells fill as probes finish (fast allowed ones first, denied ones after their timeout)
  await matrix.getByTestId('run').click()
  // each moment is read in one go inside the page: on a busy machine the run moves on between two round trips
  const midway = await snapshotWhen(page, DETAILS.matrix, 'td[data-cell="productpage|reviews"][data-state="match"]')
  assert.ok(midway.pending > 0, 'some cells are still being probed while others are filled')
  assert.match(midway.progress, /^\d+\/45 probed$/)
  // the disagreeing cell is probed again after a wait, and the slide says so meanwhile
  const settling = await snapshotWhen(page, DETAILS.matrix, 'td[data-cell="alpine-default|ratings"][data-state="settling"]')
  assert.equal(settling.settling, 'true')
  assert.match(settling.progress, /^settling: 1 cell probed again \(round \d, after \d s\)$/)
  assert.equal(settling.calico, '', 'Calico is read after settling, not before')
  assert.equal(settling.mark, '◌')
  // settled (it never comes to agree here), then Calico's flow logs are waited for, once
  await matrix.getByTestId('progress').getByText(/^45 probed · waiting for flow logs \(\d+\/45\)$/).waitFor({ timeout: 20_000 })
  assert.equal(await matrix.getAttribute('data-settling'), 'false')
  await matrix.getByTestId('progress').getByText(/^45 probes · \d+\.\d s · 1 mismatch · settled 0\/1 in \d+\.\d s$/).waitFor({ timeout: 20_000 })
  assert.equal(await matrix.getAttribute('data-settling'), 'false')
  assert.equal(await matrix.getByTestId('label').innerText(), 'live')
  assert.match(await matrix.getByTestId('expected-source').innerText(), /^expected: the engine on the policies live in the cluster at .* \(7 policies, 1 network set\)$/, 'the allowed range\'s GlobalNetworkSet is an input, not a policy')
  assert.equal(await matrix.getAttribute('data-source'), 'cluster')

  // the one disagreement stands out; every other probed cell agrees, the outside rows included
  const mismatch = matrix.locator('td[data-state="mismatch"]')
  assert.equal(await count(mismatch), 1)
  assert.equal(await mismatch.getAttribute('data-cell'), 'alpine-default|ratings')
  assert.ok(await mismatch.locator('.pm-ne').isVisible())
  assert.equal(await mismatch.locator('.pm-ne').innerText(), '≠')
  // three opinions in the cell: the engine's deny, the probe's connect, Calico's record of that connection
  assert.deepEqual([await mismatch.locator('.pm-e').innerText(), await mismatch.locator('.pm-o').innerText(), await mismatch.locator('.pm-c').innerText()], ['✗', '✓', '✓'])
  assert.equal(await mismatch.getAttribute('data-calico'), 'allowed')
  assert.equal(await count(matrix.locator('td.pm-cell[data-calico="no-record"]')), 44, 'every other probed cell: Calico recorded nothing, and says so')
  assert.equal(await count(matrix.locator('td[data-state="pending"]')), 0)
  assert.equal(await count(matrix.locator('td[data-state="match"]')), 44, '40 pod cells and 5 outside cells agree but the mismatch')
  assert.equal(await count(matrix.locator('td[data-state="error"]')), 0, 'no probe failed to run')
  assert.equal(await count(matrix.locator('td[data-state="not-probed"]')), 5)
  assert.equal(await matrix.locator('td[data-cell="host1|productpage"]').getAttribute('data-observed'), 'allowed', 'host1 reaches the LoadBalancer')
  // with the details step not applied yet, productpage → details is denied by details' ingress (default deny): expected and seen
  const pd = matrix.locator('td[data-cell="productpage|details"]')
  assert.equal(await pd.getAttribute('data-expected'), 'denied')

  // hover: the engine's reason and the probe's command and output
  await mismatch.hover()
  const detail = matrix.getByTestId('detail')
  await detail.getByText(/denied at end of tier default/).waitFor()
  assert.match(await detail.innerText(), /\$ kubectl exec -n default alpine -c alpine -- nc -vv -z -w 2 198\.19\.35\.62 9080/)
  assert.match(await mismatch.getAttribute('title') ?? '', /expected: denied[\s\S]*observed: allowed/)
  assert.match(await detail.innerText(), /Calico\s+allowed — profile kns\.dev1 › Allow \(the destination's ingress record\)/)
  assert.deepEqual(errors, [])
  await page.close()
})

test('PolicyStep: the highlighted policy fits its box; Apply applies it and the matrix re-runs by itself', async () => {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } })
  const errors = watchErrors(page)
  await page.goto(`${deck.deckUrl}/demo-step-details`)
  const step = page.locator('.slidev-page .policy-step[data-apply="policy-details-apply"]:visible').first()
  await step.waitFor({ timeout: 60_000 })
  const code = step.locator('.ps-code pre')
  await code.getByText("serviceAccountSelector: projectcalico.org/name == 'bookinfo-details'").waitFor()
  assert.ok(!(await code.innerText()).includes('# 51'), 'the file’s comment header is folded away')
  assert.ok(await code.evaluate((el) => el.scrollWidth <= el.clientWidth + 2), 'no hidden text to the right')
  const matrix = page.locator(`.slidev-page .probe-matrix[data-action="${DETAILS.matrix}"]:visible`).first()
  const before = await matrix.getAttribute('data-run')
  assert.ok(before, 'the first test’s run is shown')

  await step.getByTestId('apply').click()
  await step.getByTestId('state').getByText(/^applied at /).waitFor({ timeout: 10_000 })
  await step.getByTestId('output').getByText('networkpolicy.projectcalico.org/details-from-productpage serverside-applied').waitFor()
  await step.getByTestId('matrix-state').getByText(/matrix re-ran: 45 probes/).waitFor({ timeout: 20_000 })
  const after = await matrix.getAttribute('data-run')
  assert.ok(after && after !== before, 'a new matrix run is shown')
  // the matrix now reads the details step from the cluster: productpage → details is expected allowed, and seen so
  const pd = matrix.locator('td[data-cell="productpage|details"]')
  assert.equal(await pd.getAttribute('data-expected'), 'allowed')
  assert.equal(await pd.getAttribute('data-state'), 'match')

  // comments on demand, wrapped (never hidden to the right); the slide itself never overflows
  await step.getByTestId('comments').click()
  await code.getByText(new RegExp(`^# 51 — Policy step ${DETAILS.number}`)).waitFor()
  assert.ok(await code.evaluate((el) => el.scrollWidth <= el.clientWidth + 2), 'comments wrap')
  const layout = page.locator('.slidev-page .slidev-layout:visible').first()
  assert.ok(await layout.evaluate((el) => el.scrollHeight <= el.clientHeight + 2 && el.scrollWidth <= el.clientWidth + 2), 'the slide fits its canvas')
  assert.deepEqual(errors, [])
  await page.close()
})

/** The matrix as it is the moment `cell` (a selector inside it) first matches, read in one go inside the page. */
async function snapshotWhen(page: Page, action: string, cell: string) {
  const handle = await page.waitForFunction(({ action, cell }) => {
    const matrix = Array.from(document.querySelectorAll(`.slidev-page .probe-matrix[data-action="${action}"]`) as NodeListOf<HTMLElement>).find((m) => m.offsetParent !== null)
    const hit = matrix?.querySelector(cell) as HTMLElement | null | undefined
    if (!matrix || !hit) return null
    return {
      pending: matrix.querySelectorAll('td[data-state="pending"]').length,
      progress: (matrix.querySelector('[data-testid="progress"]') as HTMLElement | null)?.innerText ?? '',
      settling: matrix.getAttribute('data-settling'),
      calico: hit.getAttribute('data-calico'),
      mark: (hit.querySelector('.pm-ne') as HTMLElement | null)?.innerText ?? '',
    }
  }, { action, cell }, { timeout: 15_000, polling: 'raf' })
  return (await handle.jsonValue())!
}
