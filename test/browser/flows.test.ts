// Calico's own account in a real browser, against the fake API server and a fake whisker pod (whisker-backend v3.31.7's
// JSON through a real port-forward): the staged step's slide — <FlowLog> watching dev1's flows, the pending "would
// deny" on its records; Apply, the matrix re-runs, every cell with expected, observed and Calico's verdict side by side
// and the staged marker where a staged policy would deny — then the enforcing step, where Calico's deciding policy is
// compared with the engine's and a disagreement is marked like a probe mismatch. Screenshots go to $SCREENSHOTS_DIR
// when it is set (to look at the slides).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Locator, Page } from 'playwright-core'
import { defaultActions } from '../../demo-server/src/catalog/index.ts'
import { policyStep } from '../../demo-server/src/catalog/policySteps.ts'
import { labObjects } from '../support/labObjects.ts'
import { allowBy, ALLOWED_RANGE_SET, cellRecords, platformDenyAtEnd, platformDnsAllow, profile, withQuickFlowLogs } from '../support/flowLab.ts'
import { colOf, DNS_ROWS, droppedScript, labExecHandler, labPolicies, rowOf } from '../support/matrixLab.ts'
import { watchErrors } from '../support/deck.ts'
import type { RunningDeck } from '../support/deck.ts'
import { startFlowLabDeck } from '../support/flowLabDeck.ts'
import type { FlowLabDeck } from '../support/flowLabDeck.ts'

const entry = process.env.DECK_ENTRY ?? 'slides.md'
const STAGED = policyStep('default-deny-staged')!
const ENFORCED = policyStep('default-deny')!
let running: FlowLabDeck
let deck: RunningDeck
let browser: Browser

const wouldDeny = { action: 'Allow' as const, enforced: [profile('dev1')], pending: [platformDenyAtEnd(true)] }
/** What Calico records for the probes this test looks at, before and after the default deny is enforced (by hand). */
function recordsOf(row: string, col: string, enforced: boolean): ReturnType<typeof cellRecords> {
  // Felix may file a probe up to 15 s before it (flows/README.md, "Timing"): the staged moment's records take that
  // margin, so the enforced moment's, moments later in this test, fall in a later bucket as they would in a talk
  const at = Math.floor(Date.now() / 1000) - (enforced ? 0 : 14)
  const cell = `${row}|${col}`
  if (!enforced) {
    if (cell === 'productpage|details') return cellRecords(row, col, at, { src: wouldDeny, dst: wouldDeny })
    if (cell === 'alpine-default|productpage') return cellRecords(row, col, at, { src: { action: 'Allow', enforced: [profile('default')], pending: [profile('default')] }, dst: wouldDeny })
    if (cell === 'productpage|dns') {
      return cellRecords(row, col, at, {
        src: { action: 'Allow', enforced: [platformDnsAllow()], pending: [platformDnsAllow()] },
        dst: { action: 'Allow', enforced: [profile('kube-system')], pending: [profile('kube-system')] },
      })
    }
    return []
  }
  if (cell === 'productpage|details') return cellRecords(row, col, at, { src: { action: 'Deny', enforced: [platformDenyAtEnd()], pending: [platformDenyAtEnd()] } })
  if (cell === 'alpine-default|productpage') return cellRecords(row, col, at, { src: { action: 'Allow', enforced: [profile('default')] }, dst: { action: 'Deny', enforced: [platformDenyAtEnd()] } })
  // Calico says an allow rule of a policy the engine does not have decided: marked
  if (cell === 'productpage|dns') return cellRecords(row, col, at, { src: { action: 'Allow', enforced: [allowBy('dns-everywhere', 0)] }, dst: { action: 'Allow', enforced: [profile('kube-system')] } })
  return []
}

/**
 * A stand-in `docker` for the outside clients of the kind lab at these two moments: everything connects until the
 * default deny is enforced (the file `enforced` exists), then nothing does — productpage's ingress is default deny too.
 */
function outsideClients(): { bin: string; enforce(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'flows-docker-'))
  const bin = join(dir, 'bin')
  mkdirSync(bin)
  writeFileSync(join(bin, 'docker'), [
    '#!/bin/sh',
    `if [ -e '${dir}/enforced' ]; then echo "curl: (28) Connection timed out after 1000 milliseconds" >&2; exit 28; fi`,
    'printf 200',
    '',
  ].join('\n'))
  chmodSync(join(bin, 'docker'), 0o755)
  return { bin, enforce: () => writeFileSync(join(dir, 'enforced'), '') }
}
const outside = outsideClients()

/** The shipped catalog, with the matrices' waits shortened (a 1 s probe timeout, the flow-log wait of the tests). */
const actions = withQuickFlowLogs(defaultActions(), { probeTimeoutSeconds: 1 })

before(async () => {
  running = await startFlowLabDeck({
    name: 'flows',
    entry,
    // the lab's tiers, no policy yet
    objects: [...labObjects(), ...ALLOWED_RANGE_SET, ...labPolicies([])],
    dockerBin: outside.bin,
    actions,
    // before the default deny is enforced everything connects; once it is, only the callers' DNS does. Each probe leaves
    // the flow records Calico would write for it (for the cells this test reads), available a moment later, as Felix
    // flushes.
    exec: ({ fake, lab }) => (req) => {
      const enforced = fake.objects().some((o) => (o as { kind: string }).kind === 'GlobalNetworkPolicy' && (o as { metadata: { name: string } }).metadata.name === 'platform-baseline.dev1-default-deny')
      const row = rowOf(req)
      const col = colOf(req)
      for (const r of recordsOf(row, col, enforced)) lab.whisker.add(r, Date.now() + 300)
      return labExecHandler({ deniedMs: 300, allowedMs: 20, policies: false, override: () => (enforced && !(col === 'dns' && DNS_ROWS.has(row)) ? droppedScript(req, 300) : undefined) })(req)
    },
  })
  ;({ deck, browser } = running)
})
after(() => running?.close())

async function shot(page: Page, name: string): Promise<void> {
  if (process.env.SCREENSHOTS_DIR) await page.locator('.slidev-page .slidev-layout:visible').first().screenshot({ path: join(process.env.SCREENSHOTS_DIR, `${name}.png`) })
}
const fits = (layout: Locator) => layout.evaluate((el) => el.scrollHeight <= el.clientHeight + 2 && el.scrollWidth <= el.clientWidth + 2)

test('the staged step: the flow log shows what it would deny; Apply, and every cell shows expected, observed and Calico\'s verdict', async () => {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } })
  const errors = watchErrors(page)
  await page.goto(`${deck.deckUrl}/demo-staged`)
  const flowLog = page.locator('.slidev-page .flow-log[data-action="flows-dev1-watch"]:visible').first()
  await flowLog.waitFor({ timeout: 60_000 })
  assert.match(await flowLog.getByTestId('command').innerText(), /^\$ kubectl port-forward -n calico-system service\/whisker 8081:8081 & curl -sG -N 'http:\/\/localhost:8081\/whisker-backend\/flows' -d watch=true -d startTimeGte=-120$/)
  assert.match(await flowLog.innerText(), /technology preview in Calico 3\.31/)

  // the watch first: Goldmane holds nothing of dev1 yet
  await flowLog.getByTestId('run').click()
  await flowLog.getByTestId('empty').getByText(/^waiting for flow records: Felix flushes every 15 s/).waitFor({ timeout: 15_000 })
  assert.equal(await flowLog.getByTestId('label').innerText(), 'live · running')

  // Apply: the staged policy goes in, the matrix of this moment re-runs by itself, Calico's verdict arrives after it
  const step = page.locator(`.slidev-page .policy-step[data-apply="${STAGED.apply}"]:visible`).first()
  await step.getByTestId('apply').click()
  await step.getByTestId('state').getByText(/^applied at /).waitFor({ timeout: 10_000 })
  const matrix = page.locator(`.slidev-page .probe-matrix[data-action="${STAGED.matrix}"]:visible`).first()
  await matrix.getByTestId('progress').getByText(/waiting for flow logs \(\d+\/45\)/).waitFor({ timeout: 20_000 })
  await matrix.getByTestId('progress').getByText(/^45 probes · \d+\.\d s · 0 mismatches$/).waitFor({ timeout: 30_000 })

  // meanwhile the probes' records reached the watch: the staged policy's pending verdicts, readable per record
  await flowLog.getByTestId('count').getByText(/^watching… 6 records · 3 a staged policy would change$/).waitFor({ timeout: 15_000 })
  const would = flowLog.locator('.fl-row[data-would="Deny"]')
  assert.equal(await would.count(), 3)
  assert.match(await would.first().innerText(), /staged: would deny — tier platform-baseline › end of tier \(selected by staged platform-baseline\.dev1-default-deny\) › Deny/)
  assert.equal(await flowLog.locator('.fl-row[data-reporter="Dst"]', { hasText: 'dev1/productpage-v1-bcc6748f7-* → dev1/details-v1-766844796b-* 9080/tcp' }).count(), 1, 'the destination node\'s record, names as Felix aggregates them')

  const pd = matrix.locator('td[data-cell="productpage|details"]')
  assert.deepEqual(
    [await pd.getAttribute('data-expected'), await pd.getAttribute('data-observed'), await pd.getAttribute('data-calico'), await pd.getAttribute('data-pending'), await pd.getAttribute('data-state')],
    ['allowed', 'allowed', 'allowed', 'denied', 'match'],
    'traffic flows; the engine and Calico agree it would be denied',
  )
  assert.equal(await pd.locator('.pm-c').innerText(), '✓')
  assert.equal(await pd.locator('.pm-pend').getAttribute('aria-label'), 'a staged policy would make this denied', 'the staged marker (a folded corner)')
  const dns = matrix.locator('td[data-cell="productpage|dns"]')
  assert.equal(await dns.getAttribute('data-calico'), 'allowed')
  assert.equal(await dns.getAttribute('data-pending'), '', 'DNS stays allowed for a caller with the staged policy: no marker')
  const none = matrix.locator('td[data-cell="ratings|details"]')
  assert.equal(await none.getAttribute('data-calico'), 'no-record')
  assert.equal(await none.locator('.pm-c').innerText(), '·')
  // the engine's pending verdict marks the cells Calico has no record of, too
  assert.equal(await none.getAttribute('data-pending'), 'denied')

  await pd.hover()
  const detail = matrix.getByTestId('detail')
  await detail.getByText(/^Calico allowed — profile kns\.dev1 › Allow \(the destination's ingress record\)/).waitFor()
  assert.match(await detail.innerText(), /staged\s+would be denied: Calico's pending trace: tier platform-baseline › end of tier \(selected by staged platform-baseline\.dev1-default-deny\) › Deny/)
  assert.match(await detail.innerText(), /engine\s+egress: no policy, the namespace profile › Allow; ingress: no policy, the namespace profile › Allow/)
  await none.hover()
  await detail.getByText(/no flow record from dev1\/ratings-v1-64d59779-\* to dev1\/details:9080\/TCP/).waitFor()

  await page.mouse.move(0, 0)
  const layout = page.locator('.slidev-page .slidev-layout:visible').first()
  await shot(page, 'staged-step')
  assert.ok(await fits(layout), 'the slide fits its canvas')
  await flowLog.getByTestId('cancel').click()
  await flowLog.getByTestId('run').waitFor({ timeout: 10_000 })
  assert.deepEqual(errors, [])
  await page.close()
})

test('the enforcing step: Calico\'s deciding policy beside the engine\'s; a disagreement is marked like a probe mismatch', async () => {
  outside.enforce()
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } })
  const errors = watchErrors(page)
  await page.goto(`${deck.deckUrl}/demo-enforce`)
  const step = page.locator(`.slidev-page .policy-step[data-apply="${ENFORCED.apply}"]:visible`).first()
  await step.waitFor({ timeout: 60_000 })
  await step.getByTestId('apply').click()
  const matrix = page.locator(`.slidev-page .probe-matrix[data-action="${ENFORCED.matrix}"]:visible`).first()
  await matrix.getByTestId('progress').getByText(/^45 probes · \d+\.\d s · 1 mismatch$/).waitFor({ timeout: 40_000 }).catch(async (error: Error) => {
    throw new Error(`${error.message}\nprogress: ${await matrix.getByTestId('progress').innerText()}\n${await matrix.getByTestId('detail').innerText()}`)
  })

  const pd = matrix.locator('td[data-cell="productpage|details"]')
  assert.deepEqual([await pd.getAttribute('data-expected'), await pd.getAttribute('data-observed'), await pd.getAttribute('data-calico'), await pd.getAttribute('data-state')], ['denied', 'denied', 'denied', 'match'])
  assert.equal(await pd.getAttribute('data-pending'), '', 'the staged twin now agrees with the enforced policy: no marker')
  await pd.hover()
  const detail = matrix.getByTestId('detail')
  await detail.getByText(/^Calico denied — tier platform-baseline › end of tier \(selected by platform-baseline\.dev1-default-deny\) › Deny \(the source's egress record/).waitFor()
  assert.match(await detail.innerText(), /engine\s+egress: tier platform-baseline › end of tier › Deny/)

  const dns = matrix.locator('td[data-cell="productpage|dns"]')
  assert.equal(await dns.getAttribute('data-state'), 'mismatch')
  assert.ok(await dns.locator('.pm-ne').isVisible(), 'marked like an expected/observed mismatch')
  await dns.hover()
  await detail.getByText(/≠ egress: Calico: tier default › dev1\/dns-everywhere › Allow \(rule 0\); engine: tier platform › platform\.dev1-dns-for-callers egress\[0\]/).waitFor()
  assert.match(await dns.getAttribute('title') ?? '', /≠ egress: Calico: tier default › dev1\/dns-everywhere › Allow \(rule 0\)/, 'the hover text says it too')
  await shot(page, 'enforce-step')
  assert.ok(await fits(page.locator('.slidev-page .slidev-layout:visible').first()), 'the slide fits its canvas')
  assert.deepEqual(errors, [])
  await page.close()
})
