// The deck in a real browser: offline first (what a newcomer sees), then live against the fake API server,
// then presenter + audience windows together — one click, one exec, output in both; a failure with the last success
// on offer; last, no cluster at all but a rehearsal's recording, replayed with its time (the staged step's watch too).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { startFakeKube } from '../fakeKube/server.ts'
import type { FakeKube } from '../fakeKube/server.ts'
import type { DemoServer } from '../../demo-server/src/server.ts'
import { labObjects } from '../support/labObjects.ts'
import { demoServerFor, freePort, launchBrowser, startDeck, watchErrors } from '../support/deck.ts'
import { repoRoot } from '../../demo-server/src/launch.ts'
import { readDeck } from '../../scripts/lib/slides.ts'
import { recordRehearsal } from '../fakeLab/recording.ts'
import { flowsWatch } from '../../demo-server/src/catalog/flows.ts'
import { policySteps } from '../../demo-server/src/catalog/policySteps.ts'
import type { RunningDeck } from '../support/deck.ts'

const entry = process.env.DECK_ENTRY ?? 'slides.md'
let deck: RunningDeck
let fake: FakeKube
let browser: Browser
let server: DemoServer | undefined
const runs = mkdtempSync(join(tmpdir(), 'browser-runs-'))

before(async () => {
  deck = await startDeck({ token: 'browser-test-token-0123456789', demoPort: await freePort(), entry })
  fake = await startFakeKube({ objects: labObjects() })
  browser = await launchBrowser()
})
after(async () => {
  await browser?.close()
  await server?.close()
  await fake?.close()
  await deck?.stop()
})

const liveRun = (page: Page, action: string) => page.locator(`.slidev-page [data-action="${action}"]`).first()

async function openDemoSlide(page: Page, alias = 'demo-foundation', action = 'nodes-wide'): Promise<void> {
  await page.goto(`${deck.deckUrl}/${alias}`)
  await liveRun(page, action).waitFor({ timeout: 60_000 })
}

test('offline: the demo slide says "offline: no cluster" and still shows the kubectl command', async () => {
  server = await demoServerFor(deck, { access: { kubeConfig: null, context: null, server: null, problem: 'no kubeconfig found' }, storeDir: runs })
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } })
  const errors = watchErrors(page)
  await openDemoSlide(page)
  const status = page.locator('.slidev-page [data-testid="cluster-status"]:visible').first()
  await status.getByText('offline: no cluster').waitFor()
  assert.match(await status.innerText(), /no kubeconfig found/)
  const nodes = liveRun(page, 'nodes-wide')
  await nodes.getByText(/^\$ kubectl get nodes -o 'custom-columns=NAME:/).waitFor()
  assert.equal(await nodes.getByTestId('label').innerText(), 'not run yet')
  // a run without a cluster says why, at once
  await nodes.getByTestId('run').click()
  await nodes.getByTestId('error').getByText('offline: no cluster').waitFor({ timeout: 2000 })
  assert.deepEqual(errors, [])
  await page.close()
  await server.close()
  server = undefined
})

test('live: Run streams the table into the slide', async () => {
  server = await demoServerFor(deck, { access: { kubeConfig: fake.kubeConfig('fake-lab'), context: 'fake-lab', server: fake.url, problem: null }, storeDir: runs })
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } })
  const errors = watchErrors(page)
  await openDemoSlide(page)
  await page.locator('.slidev-page [data-testid="cluster-status"][data-mode="live"]:visible').first().waitFor()
  const nodes = liveRun(page, 'nodes-wide')
  await nodes.getByTestId('run').click()
  await nodes.getByTestId('output').getByText(/control\s+198\.19\.0\.1\s+v1\./).waitFor()
  assert.equal(await nodes.getByTestId('label').innerText(), 'live')
  assert.match(await nodes.getByTestId('status').innerText(), /^exit 0 · \d+\.\d s$/)
  assert.deepEqual(errors, [])
  await page.close()
})

test('presenter and audience together: one click, exactly one exec, the output in both windows', async () => {
  fake.onExec(() => ({ steps: [{ delayMs: 150 }, { stdout: '<title>Simple Bookstore App</title>\n' }], exitCode: 0 }))
  const execsBefore = fake.execRequests.length
  const audience = await browser.newPage({ viewport: { width: 1920, height: 1080 } })
  const audienceErrors = watchErrors(audience)
  await openDemoSlide(audience, 'demo-dev1', 'probe-ratings-productpage')
  const slideNo = await audience.evaluate(() => (window as unknown as { __slidev__: { nav: { currentSlideNo: number } } }).__slidev__.nav.currentSlideNo)
  const presenter = await browser.newPage({ viewport: { width: 1920, height: 1080 } })
  const presenterErrors = watchErrors(presenter)
  await presenter.goto(`${deck.deckUrl}/presenter/${slideNo}`)
  const inPresenter = presenter.locator('.slidev-presenter [data-action="probe-ratings-productpage"]')
  await inPresenter.first().waitFor({ timeout: 60_000 })
  // the presenter window mounts the slide more than once (current + next preview); only one copy offers Run
  const runButtons = presenter.locator('[data-action="probe-ratings-productpage"] [data-testid="run"]')
  assert.equal(await runButtons.count(), 1)
  await runButtons.click()
  const title = '<title>Simple Bookstore App</title>'
  await liveRun(audience, 'probe-ratings-productpage').getByTestId('output').getByText(title).waitFor()
  await inPresenter.first().getByTestId('output').getByText(title).waitFor()
  await inPresenter.first().getByTestId('status').getByText(/^exit 0/).waitFor()
  assert.equal(fake.execRequests.length - execsBefore, 1, 'the fake API server saw exactly one exec')
  assert.deepEqual(audienceErrors, [])
  assert.deepEqual(presenterErrors, [])
})

test('a failure after a success: the notice says why and offers the last successful run, labelled with its time; and back', async () => {
  fake.onExec(() => ({ steps: [{ delayMs: 50 }, { stderr: 'curl: (7) Failed to connect to productpage port 9080\n' }], exitCode: 7 }))
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } })
  const errors = watchErrors(page)
  await openDemoSlide(page, 'demo-dev1', 'probe-ratings-productpage')
  const probe = liveRun(page, 'probe-ratings-productpage')
  // the success of the test before is the latest so far
  await probe.getByTestId('output').getByText('<title>Simple Bookstore App</title>').waitFor()
  await probe.getByTestId('run').click()
  await probe.getByTestId('error').getByText(/^exit-code: /).waitFor({ timeout: 10_000 })
  assert.equal(await probe.getByTestId('label').innerText(), 'live')
  const offer = probe.getByTestId('show-replay')
  assert.match(await offer.innerText(), /^show the last successful run \(\d\d:\d\d\)$/)
  await offer.click()
  await probe.getByTestId('output').getByText('<title>Simple Bookstore App</title>').waitFor()
  // the replay is labelled as one — with the fake's context, which is no cluster — and the failure stays said
  assert.match(await probe.getByTestId('label').innerText(), /^recorded at \d\d:\d\d on fake-lab \(not a cluster\)$/)
  assert.match(await probe.getByTestId('error').innerText(), /exit-code/)
  assert.equal(await offer.innerText(), 'hide the replay')
  await offer.click()
  await probe.getByTestId('output').getByText('Failed to connect').waitFor()
  assert.equal(await probe.getByTestId('label').innerText(), 'live')
  assert.deepEqual(errors, [])
  await page.close()
})

test('no cluster, a rehearsal recording: each slide shows the recorded run with its time; a step that failed in the rehearsal says "last run failed (time)"', async () => {
  await server?.close()
  server = undefined
  // `npm run demo:rehearse` on the fake lab, where the alpine pod of default may not be exec'd into
  const { recordingDir } = await recordRehearsal(join(mkdtempSync(join(tmpdir(), 'browser-rehearsal-')), 'rehearsal'), (lab) => {
    lab.fake.respond({ pathPrefix: '/api/v1/namespaces/default/pods/alpine/exec' }, 403)
  })
  server = await demoServerFor(deck, { access: { kubeConfig: null, context: null, server: null, problem: 'no kubeconfig found' }, storeDir: mkdtempSync(join(tmpdir(), 'browser-runs-empty-')), recordingDir })
  const slideOf = async (file: string) => (await readDeck(repoRoot, entry)).find((s) => s.file === file)!.no
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } })
  const errors = watchErrors(page)
  // the recording was made on the fake lab: every label says so
  const offlineLabel = /^cluster not connected — showing the run recorded at \d\d:\d\d on fake-calico-lab \(not a cluster\)$/

  await openDemoSlide(page, 'demo-dev1', 'dev1-get-all')
  const getAll = liveRun(page, 'dev1-get-all')
  await getAll.getByTestId('output').getByText('deployment.apps/details-v1').first().waitFor()
  assert.match(await getAll.getByTestId('label').innerText(), offlineLabel)
  assert.match(await getAll.getByTestId('command').innerText(), /\$ kubectl get all -n dev1/)
  assert.match(await liveRun(page, 'probe-ratings-productpage').getByTestId('label').innerText(), offlineLabel)
  await liveRun(page, 'probe-ratings-productpage').getByTestId('output').getByText('<title>Simple Bookstore App</title>').waitFor()

  // the step the rehearsal could not run: its recorded failure, with its time, and why — never called a replay
  await page.goto(`${deck.deckUrl}/${await slideOf('pages/62-demo-namespaces.md')}`)
  const forbidden = liveRun(page, 'probe-alpine-default-productpage')
  await forbidden.getByTestId('error').waitFor({ timeout: 60_000 })
  assert.match(await forbidden.getByTestId('label').innerText(), /^last run failed \(\d\d:\d\d\) on fake-calico-lab \(not a cluster\)$/)
  assert.match(await forbidden.getByTestId('error').innerText(), /forbidden/)
  assert.match(await liveRun(page, 'probe-alpine-dev1-productpage').getByTestId('label').innerText(), offlineLabel)

  // a matrix, from the recording too
  await page.goto(`${deck.deckUrl}/${await slideOf('pages/64-demo-matrix.md')}`)
  const matrix = page.locator('.slidev-page .probe-matrix[data-action="reach-matrix-step-0"]').first()
  await matrix.locator('[data-cell="ratings|productpage"][data-observed="allowed"]').waitFor({ timeout: 60_000 })
  assert.match(await matrix.getByTestId('label').innerText(), offlineLabel)

  // the staged step: the policy step, its matrix and the watch the rehearsal stopped — a recording like the others,
  // never "last run cancelled" — its flow records drawn, the staged policy's would-deny among them
  const staged = policySteps[0]!
  await page.goto(`${deck.deckUrl}/${(await readDeck(repoRoot, entry)).find((x) => x.uses.some((u) => u.action === staged.apply))!.no}`)
  const step = page.locator(`.slidev-page .policy-step[data-apply="${staged.apply}"]`).first()
  await step.getByTestId('state').getByText(/^applied at /).waitFor({ timeout: 60_000 })
  // the step's own pill (its matrix and its flow log, on the same slide, carry theirs)
  assert.match(await step.locator('.ps-controls').getByTestId('label').innerText(), offlineLabel)
  const watch = page.locator(`.slidev-page .flow-log[data-action="${flowsWatch.id}"]`).first()
  await watch.locator('.fl-row').first().waitFor({ timeout: 10_000 })
  // the watch's label; when it says what the step's pill above already says, the slide says it once (hidden here)
  assert.match(await watch.getByTestId('label').textContent() ?? '', offlineLabel)
  assert.match(await watch.getByTestId('count').innerText(), /^\d+ records · \d+ a staged policy would change$/)
  assert.ok(await watch.locator('[data-testid="would"]').count() > 0)
  assert.equal(await watch.getByTestId('error').count(), 0)
  const stagedMatrix = page.locator(`.slidev-page .probe-matrix[data-action="${staged.matrix}"]`).first()
  await stagedMatrix.locator('td[data-cell="productpage|details"][data-calico="allowed"][data-pending="denied"]').waitFor({ timeout: 10_000 })
  assert.deepEqual(errors, [])
  await page.close()
})
