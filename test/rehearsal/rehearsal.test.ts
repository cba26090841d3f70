// `npm run demo:rehearse` against the fake lab (the fake API server with the whole lab, Whisker included,
// test/fakeLab/): a full rehearsal is ready — every matrix with Calico's opinion beside the probes', the watch run
// alongside its slide and stopped — and keeps its recording; a failing step is reported with its fix and the rehearsal
// goes on; a matrix that disagrees names its cells with both reasons; Ctrl-C mid-way restores the open baseline; a
// context that is not the lab is refused before anything is applied.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { reachMatrix } from '../../demo-server/src/catalog/matrices.ts'
import { flowsWatch } from '../../demo-server/src/catalog/flows.ts'
import { policySteps } from '../../demo-server/src/catalog/policySteps.ts'
import { readManifests, REPO_ROOT } from '../../demo-server/src/manifests.ts'
import type { Run } from '../../demo-server/src/protocol.ts'
import { endedWell } from '../../setup/replayRule.ts'
import type { KubeObject } from '../fakeKube/server.ts'
import { rehearse } from '../../scripts/lib/rehearsal/run.ts'
import type { RehearsalOptions } from '../../scripts/lib/rehearsal/run.ts'
import type { RehearsalReport } from '../../scripts/lib/rehearsal/report.ts'
import { actionOrder, readDeck } from '../../scripts/lib/slides.ts'
import { fakeLabActions, startFakeLab, TEST_FLOW_BUCKET_SECONDS } from '../fakeLab/lab.ts'

/** What the baseline keeps: the platform's standing DNS allow, applied with its tiers (manifests/42), no step's. */
const STANDING = ['GlobalNetworkPolicy platform.dev1-dns-for-callers']
import type { FakeLab } from '../fakeLab/lab.ts'

const DENIED_MS = 60
let lab: FakeLab
const originalPath = process.env.PATH
const originalLab = process.env.DEMO_LAB
const work = mkdtempSync(join(tmpdir(), 'rehearsal-'))

before(async () => {
  lab = await startFakeLab({ deniedMs: DENIED_MS, allowedMs: 5, flowBucketSeconds: TEST_FLOW_BUCKET_SECONDS })
  // in-process rehearsals reach the outside clients through the stand-in docker, as the kind lab does
  process.env.PATH = `${lab.binDir}:${originalPath}`
  process.env.DEMO_LAB = 'kind'
})
after(async () => {
  process.env.PATH = originalPath
  if (originalLab === undefined) delete process.env.DEMO_LAB
  else process.env.DEMO_LAB = originalLab
  await lab?.close()
})

const access = (context = lab.context) => ({ kubeConfig: lab.fake.kubeConfig(context), context, server: lab.fake.url, problem: null })
const inProcess = (out: string, extra: Partial<RehearsalOptions> = {}) => rehearse({ access: access(), explicitContext: true, outDir: join(work, out), signal: new AbortController().signal, actions: fakeLabActions(), ...extra })
/** The objects the policy steps' files hold: what restoring the open baseline deletes when every step is in. */
const stepObjects = readManifests(REPO_ROOT, policySteps.map((s) => s.file))
const mutations = () => lab.fake.requests.filter((r) => r.method !== 'GET').length
const until = async (what: string, check: () => boolean, ms = 30_000) => {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting: ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** `node scripts/rehearse.ts ARGS` against the fake lab, as `npm run demo:rehearse -- ARGS` runs it. */
function cli(args: string[], whileRunning?: (child: ReturnType<typeof spawn>) => void): Promise<{ code: number | null; out: string }> {
  const kubeconfig = join(mkdtempSync(join(tmpdir(), 'rehearsal-kubeconfig-')), 'config')
  lab.fake.writeKubeconfig(kubeconfig, lab.context)
  const child = spawn(process.execPath, [join(REPO_ROOT, 'scripts', 'rehearse.ts'), ...args], { cwd: REPO_ROOT, env: lab.env(kubeconfig), stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  const take = (d: Buffer) => void (out += d.toString())
  child.stdout.on('data', take)
  child.stderr.on('data', take)
  const timer = whileRunning ? setInterval(() => whileRunning(child), 20) : undefined
  return new Promise((resolve) => child.on('close', (code) => {
    clearInterval(timer)
    resolve({ code, out })
  }))
}

const readReport = (dir: string): { first: string; md: string; json: RehearsalReport } => {
  const md = readFileSync(join(dir, 'REPORT.md'), 'utf8')
  return { first: md.split('\n')[0]!, md, json: JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as RehearsalReport }
}

test('npm run demo:rehearse on the fake lab: every step in slide order, ready, the report and the recording written, the baseline restored', { timeout: 600_000 }, async () => {
  const out = join(work, 'full')
  const { code, out: terminal } = await cli(['--context', lab.context, '--out', out])
  assert.equal(code, 0, terminal)
  const lines = terminal.trimEnd().split('\n')
  assert.match(lines.at(-2)!, /^ready — \d+ steps ran once on fake-calico-lab/, 'the terminal ends with the report’s first line')
  const { first, md, json } = readReport(out)
  assert.equal(first, lines.at(-2))
  assert.equal(json.ready, true)
  assert.deepEqual(json.reasons, [])

  // the steps: the slides' actions in the order they first appear, each once, a policy step's matrix folded into it
  const order = actionOrder(await readDeck()).map((o) => o.action)
  const chained = new Set(json.steps.flatMap((s) => (s.then ? [s.then] : [])))
  assert.deepEqual(json.steps.map((s) => s.action), order.filter((id) => !chained.has(id)))
  for (const step of policySteps) {
    const s = json.steps.find((x) => x.action === step.apply)!
    assert.equal(s.then, step.matrix, `${step.apply} carries the matrix it re-runs`)
    assert.equal(s.runIds.length, 2)
  }
  // each step has a line on the terminal, with its duration and status
  for (const s of json.steps) assert.match(terminal, new RegExp(`^\\s*${s.n}/${json.steps.length}\\s+\\S+ slide ${s.slide.no}\\s+${s.action}\\b.*\\d+\\.\\d s\\s+(ok|answered)`, 'm'), s.action)
  // before the first policy step everything succeeds; after it, a non-zero exit is how a denied probe ends
  const firstApply = json.steps.findIndex((s) => s.kind === 'apply')
  assert.ok(json.steps.slice(0, firstApply).every((s) => s.status === 'ok'))
  const answered = json.steps.filter((s) => s.status === 'answered').map((s) => s.action)
  assert.deepEqual(answered, ['probe-ratings-productpage-after', 'probe-alpine-dev1-productpage-after', 'probe-alpine-default-productpage-after', 'probe-other-range-productpage-after'])
  assert.ok(json.steps.filter((s) => s.status === 'answered').every((s) => s.n > firstApply + 1))
  // every matrix compared, cell by cell — probes and Calico's flow logs against the engine
  assert.equal(json.matrices.length, 1 + policySteps.length)
  for (const m of json.matrices) {
    assert.equal(m.probed, m.observed, `${m.action}: every probed cell was observed`)
    assert.ok(m.probed >= 40)
    assert.deepEqual([m.mismatches, m.errors], [[], []])
    // Calico's records answered every cell but a pod reaching itself through its Service (four bookinfo rows: the
    // destination's record of a hairpin names the node, so the source's allow is all there is)
    const f = m.flowLogs!
    assert.deepEqual([f.noRecord, f.unavailable], [0, 0], `${m.action}: every cell has flow records`)
    assert.equal(f.decided + f.undecided, m.probed)
    assert.ok(f.undecided <= 4, `${m.action}: ${f.undecided} cells without Calico's verdict`)
    // no answer before Felix's flush after the last probe (the catalog's 15 s): the previous moment's records are no answer
    assert.ok(f.waitedMs >= reachMatrix.flowLogs!.flushSeconds * 1000 && f.waitedMs <= f.deadlineSeconds * 1000 + 5000, `${m.action}: waited ${f.waitedMs} ms`)
  }
  assert.match(md, /Calico's flow logs: (4[1-5])\/45 cells with Calico's verdict/)
  // the watch: started with its slide, stopped by the rehearsal once the slide's policy step had ended, counted ok,
  // its time beside the slide's; its recording streamed what the staged policy would deny, and replays as a recording
  const watch = json.steps.find((s) => s.action === flowsWatch.id)!
  const staged = json.steps.find((s) => s.action === policySteps[0]!.apply)!
  assert.deepEqual([watch.status, watch.alongside, watch.slide.no], ['ok', true, staged.slide.no])
  assert.match(watch.note ?? '', /^watched [\d.]+ s alongside slide \d+'s steps, \d+ records; stopped by the rehearsal once they had ended$/)
  assert.ok(watch.ms >= staged.ms - 1000, 'the watch ran as long as the slide’s policy step and its matrix')
  assert.match(terminal, new RegExp(`^\\s*${watch.n}/\\d+\\s+▶ slide ${watch.slide.no}\\s+${flowsWatch.id}\\s+watching alongside`, 'm'))
  const watchRun = (JSON.parse(readFileSync(join(out, 'recording', `${flowsWatch.id}.json`), 'utf8')) as { latest: Run }).latest
  assert.equal(watchRun.status, 'cancelled', 'stopped, as a presenter stops it')
  assert.ok(endedWell(watchRun, true), 'a watch stopped after it streamed is a complete recording')
  const records = watchRun.chunks.filter((c) => c.stream === 'stdout').flatMap((c) => c.data.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { action: string; policies: { pending: Array<{ kind: string; trigger: { kind: string; name: string } | null }> | null } }))
  assert.ok(records.some((r) => r.action === 'Allow' && r.policies.pending?.some((h) => h.kind === 'EndOfTier' && h.trigger?.kind === 'StagedGlobalNetworkPolicy' && h.trigger.name === 'platform-baseline.dev1-default-deny')), 'a flow the staged default deny would drop, still allowed')
  // time: against the 30-minute budget, per slide with its note's plan; the watch beside its slide's steps
  const deck = await readDeck()
  assert.equal(json.time.budgetSeconds, 1800)
  assert.ok(json.time.demoStepsMs > 0 && json.time.demoStepsMs < 1800_000)
  assert.equal(json.time.demoPlannedSeconds, deck.filter((s) => s.demo && !s.hidden).reduce((sum, s) => sum + (s.seconds ?? 0), 0))
  const stagedSlide = json.time.slides.find((s) => s.no === staged.slide.no)!
  assert.ok(stagedSlide.steps.some((x) => x.action === policySteps[0]!.apply && (x.ms ?? 0) > 0))
  assert.deepEqual(stagedSlide.steps.filter((x) => x.alongside).map((x) => x.action), [flowsWatch.id])
  assert.equal(stagedSlide.stepsMs, stagedSlide.steps.filter((x) => !x.alongside).reduce((sum, x) => sum + (x.ms ?? 0), 0), 'the watch ran alongside: not added')
  assert.match(md, /The demo's steps take \*\*(\d+ min( \d+ s)?|[\d.]+ s)\*\* of its \*\*30 min\*\*/)
  // the wait for flow logs, on its own, and the demo's time had every matrix waited its full deadline
  const fl = json.time.flowLogs
  assert.equal(fl.matrices, json.matrices.length)
  assert.equal(fl.waitedMs, json.matrices.reduce((sum, m) => sum + m.flowLogs!.waitedMs, 0))
  assert.equal(fl.deadlineSeconds, reachMatrix.flowLogs!.deadlineSeconds)
  const slack = json.matrices.reduce((sum, m) => sum + (m.flowLogs!.deadlineSeconds * 1000 - m.flowLogs!.waitedMs), 0)
  assert.ok(fl.demoWorstMs >= json.time.demoStepsMs + slack, 'every matrix at its deadline, counted on each slide that shows it')
  assert.match(md, new RegExp(`Of that, ${json.matrices.length} matrices waited (\\d+ min( \\d+ s)?|[\\d.]+ s) in all for Calico's flow logs after their probes: .* Had every matrix waited its full 45 s, the demo's steps would take \\*\\*`))
  assert.match(first, /the demo's steps take .+ of its 30 min \(.+ had every matrix waited its full flow-log deadline\)$/)
  // the recording: one JSON file per action run, in the run store's format, the slides' every action
  const recorded = readdirSync(join(out, 'recording')).map((f) => f.replace(/\.json$/, '')).sort()
  assert.deepEqual(recorded, [...new Set([...order, ...chained])].sort())
  const runs = recorded.map((id) => JSON.parse(readFileSync(join(out, 'recording', `${id}.json`), 'utf8')) as { latest: { action: string; status: string; context: string } })
  assert.ok(runs.every((r) => r.latest.context === 'fake-calico-lab'))
  // the baseline, before and after: every step policy removed, one DELETE per policy of the step files
  assert.deepEqual(lab.policies(), STANDING)
  assert.ok(json.baseline.after.ok)
  assert.equal(json.baseline.after.deleted.length, stepObjects.length)
  const stagedObjects = stepObjects.filter((o) => o.kind.startsWith('Staged')).map((o) => `${o.kind.toLowerCase()}.projectcalico.org/${o.metadata.name}`)
  assert.ok(stagedObjects.length > 0 && stagedObjects.every((o) => json.baseline.after.deleted.includes(o)), 'the staged step is restored like the others')
  assert.deepEqual(json.baseline.before.deleted, [])
})

test('a failing step is reported with its fix and the rehearsal goes on; a matrix that disagrees names its cells with both reasons', async () => {
  const forbid = lab.fake.respond({ pathPrefix: '/api/v1/namespaces/default/pods/alpine/exec' }, 403)
  // reviews-v1 reaches ratings although no policy allows it: the probes and the engine disagree once the default deny
  // is enforced (the fake files no flow record of a probe whose verdict a test forced)
  const ratings = (lab.fake.objects() as Array<KubeObject & { spec?: { clusterIP?: string } }>).find((o) => o.kind === 'Service' && o.metadata.name === 'ratings')!
  const toRatings = (arg: string) => arg.includes('ratings.dev1') || arg === ratings.spec?.clusterIP || arg.includes(`//${ratings.spec?.clusterIP}:`)
  lab.override((req) => (/^reviews-v1-/.test(req.pod) && req.command.some(toRatings) ? 'allowed' : undefined))
  try {
    const outcome = await inProcess('failing')
    assert.equal(outcome.refused, false)
    if (outcome.refused) return
    const { report } = outcome
    const { first, md } = readReport(join(work, 'failing'))
    assert.match(first, /^not ready — 2 step\(s\) failed: probe-alpine-default-productpage, probe-alpine-default-productpage-after; /)
    const failed = report.steps.find((s) => s.action === 'probe-alpine-default-productpage')!
    assert.equal(failed.status, 'failed')
    assert.equal(failed.error?.kind, 'forbidden')
    assert.match(failed.fix, /kubectl auth can-i create pods\/exec -n default/)
    assert.match(md, /probe-alpine-default-productpage` \| ✘ failed \| [\d.]+ s \| the identity of fake-calico-lab may not do this/)
    // the rehearsal went on to the last step, and still restored the baseline
    assert.equal(report.steps.at(-1)!.status, 'ok')
    assert.equal(report.steps.filter((s) => s.status === 'not-run').length, 0)
    assert.deepEqual(lab.policies(), STANDING)
    // the matrices: the forbidden row's cells could not be probed; reviews-v1 → ratings disagrees once a policy is in
    const last = report.matrices.find((m) => m.action === policySteps.at(-1)!.matrix)!
    const cell = last.mismatches.find((c) => c.from === 'reviews-v1' && c.to === 'ratings:9080')
    assert.ok(cell, JSON.stringify(last.mismatches))
    assert.equal(cell.expected.verdict, 'denied')
    assert.equal(cell.observed.verdict, 'allowed')
    assert.ok(cell.expected.reason.length > 10 && cell.observed.reason.length > 5)
    assert.ok(last.errors.some((c) => c.from === 'alpine · default'), 'the row that may not exec')
    assert.match(md, new RegExp(`### \`${policySteps.at(-1)!.matrix}\``))
    assert.match(md, /\| reviews-v1 → ratings:9080 \| denied: .+ \| allowed.*: .+ \| .* \|/)
    assert.equal(report.matrices.find((m) => m.action === 'reach-matrix-step-0')!.mismatches.length, 0, 'before any policy, allowed is what the engine expects')
    // the staged step previews the deny and changes no verdict: the disagreement starts with the enforced default deny
    const enforced = policySteps.slice(policySteps.findIndex((p) => p.id === 'default-deny'))
    assert.ok(enforced.length < policySteps.length)
    const listed = enforced.map((p) => `${p.matrix} \\(1\\)`).join(', ')
    assert.match(first, new RegExp(`; ${enforced.length} matrix cell\\(s\\) where the probes and the engine disagree: ${listed}; ${5 * (policySteps.length + 1)} matrix cell\\(s\\) could not be probed: reach-matrix-step-0 \\(5\\), `))
  } finally {
    forbid()
    lab.override(undefined)
  }
})

test('Ctrl-C mid-way cancels the running step through its signal and restores the open baseline', { timeout: 600_000 }, async () => {
  const out = join(work, 'interrupted')
  let sent = false
  const stepsApplied = () => lab.policies().length
  const deletesBefore = lab.fake.requests.filter((r) => r.method === 'DELETE').length
  // once five step objects are in (the staged pair, the platform's pair, productpage's egress to details), every probe
  // hangs: the signal must end them
  lab.override(() => (stepsApplied() >= 5 ? { steps: [{ stdout: '' }], hang: true } : undefined))
  try {
    const { code, out: terminal } = await cli(['--context', lab.context, '--out', out], (child) => {
      if (!sent && stepsApplied() >= 5 && lab.fake.openExecStreams > 0) {
        sent = true
        child.kill('SIGINT')
      }
    })
    assert.ok(sent, `SIGINT was sent mid-way:\n${terminal}`)
    assert.equal(code, 130, terminal)
    assert.match(terminal, /■ stopping: the running step is cancelled/)
    assert.match(terminal, /open baseline restored: removed .*networkpolicy\.projectcalico\.org\/productpage-to-details.*globalnetworkpolicy\.projectcalico\.org\/platform-baseline\.dev1-default-deny.*stagedglobalnetworkpolicy\.projectcalico\.org\/platform-baseline\.dev1-default-deny/)
    // the fake saw the deletes, and no step policy is left
    const deletes = lab.fake.requests.filter((r) => r.method === 'DELETE').slice(deletesBefore).map((r) => r.path.split('/').at(-1))
    assert.ok(deletes.includes('platform-baseline.dev1-default-deny') && deletes.includes('productpage-to-details'), deletes.join(', '))
    assert.deepEqual(lab.policies(), STANDING)
    await until('the cancelled probes closed their streams', () => lab.fake.openExecStreams === 0, 5000)
    const { first, json } = readReport(out)
    assert.match(first, /^not ready — stopped by Ctrl-C after \d+ of \d+ steps/)
    assert.equal(json.interrupted, true)
    assert.ok(json.steps.some((s) => s.status === 'cancelled'))
    assert.ok(json.steps.at(-1)!.status === 'not-run')
  } finally {
    lab.override(undefined)
  }
})

test('a context that is not the lab is refused, with its reason, and nothing is applied', async () => {
  const before = mutations()
  const execs = lab.fake.execRequests.length
  // by name: not the lab's context, not named with --context
  const byName = await rehearse({ access: access('some-team-cluster'), explicitContext: false, outDir: join(work, 'refused-name'), signal: new AbortController().signal })
  assert.equal(byName.refused, true)
  if (!byName.refused) return
  assert.match(byName.reasons[0]!, /context "some-team-cluster" is not the lab's: not kind-calico-lab .*--context some-team-cluster/)
  assert.equal(existsSync(join(work, 'refused-name', 'REPORT.md')), false, 'no report: nothing ran')

  // by content: named with --context, but dev1 lacks the lab's labels, or bookinfo or productpage-lb is missing
  const dev1 = (lab.fake.objects() as KubeObject[]).find((o) => o.kind === 'Namespace' && o.metadata.name === 'dev1')!
  const lbService = (lab.fake.objects() as KubeObject[]).find((o) => o.kind === 'Service' && o.metadata.name === 'productpage-lb')!
  const details = (lab.fake.objects() as KubeObject[]).find((o) => o.kind === 'Deployment' && o.metadata.name === 'details-v1')!
  try {
    lab.fake.upsert({ ...dev1, metadata: { ...dev1.metadata, labels: { 'kubernetes.io/metadata.name': 'dev1' } } })
    lab.fake.remove('v1', 'Service', 'dev1', 'productpage-lb')
    lab.fake.remove('apps/v1', 'Deployment', 'dev1', 'details-v1')
    const byContent = await inProcess('refused-content')
    assert.equal(byContent.refused, true)
    if (!byContent.refused) return
    assert.match(byContent.reasons[0]!, /fake-calico-lab was named with --context, but it does not hold the lab/)
    assert.match(byContent.reasons[0]!, /namespace dev1 lacks the lab's labels team=dev1/)
    assert.match(byContent.reasons[0]!, /no Deployment details-v1/)
    assert.match(byContent.reasons[0]!, /Service dev1\/productpage-lb is missing/)
  } finally {
    lab.fake.upsert(dev1)
    lab.fake.upsert(lbService)
    lab.fake.upsert(details)
  }
  // the CLI says it and exits 3
  const { code, out } = await cli([])
  assert.equal(code, 3)
  assert.match(out, /✘ refused: context "fake-calico-lab" is not the lab's/)
  assert.match(out, /nothing was applied/)
  assert.equal(mutations(), before, 'no write reached the API server')
  assert.equal(lab.fake.execRequests.length, execs)
})

test('--dry-run prints the steps in slide order with their commands and the restoration, and asks the API server nothing', async () => {
  const requests = lab.fake.requests.length
  const { code, out } = await cli(['--dry-run'])
  assert.equal(code, 0, out)
  const steps = [...out.matchAll(/^\s*(\d+)\/(\d+)\s+slide (\d+)\s+(\S+)/gm)].map((m) => m[4])
  const order = actionOrder(await readDeck()).map((o) => o.action)
  assert.deepEqual(steps, order.filter((id) => !policySteps.some((s) => s.matrix === id)), 'the slides’ order, a policy step’s matrix folded in')
  const escape = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  for (const step of policySteps) assert.match(out, new RegExp(`${escape(step.apply)} → ${escape(step.matrix)}\\n\\s+\\$ kubectl apply --server-side -f ${escape(step.file)}\\n`))
  assert.match(out, new RegExp(`${flowsWatch.id}   \\(a watch: runs alongside slide \\d+'s other steps, stopped once they have ended\\)\\n`))
  const restoration = out.slice(out.indexOf('then the open baseline, last step first'))
  assert.deepEqual([...restoration.matchAll(/\$ kubectl delete -f (\S+) --ignore-not-found/g)].map((m) => m[1]), policySteps.map((p) => p.file).reverse())
  assert.equal(lab.fake.requests.length, requests)
})

test('the command line is strict: an unknown option or a bad budget stops before anything runs', async () => {
  const unknown = await cli(['--contxt', 'x'])
  assert.equal(unknown.code, 2)
  assert.match(unknown.out, /unknown option --contxt[\s\S]*usage: npm run demo:rehearse/)
  const budget = await cli(['--budget', 'soon'])
  assert.equal(budget.code, 2)
  assert.match(budget.out, /--budget is the demo's length in minutes/)
})
