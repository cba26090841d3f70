// `npm run demo:rehearse` against the fake lab (the fake API server with the whole lab, test/fakeLab/): a full
// rehearsal is ready and keeps its recording; a failing step is reported with its fix and the rehearsal goes on; a
// matrix that disagrees names its cells with both reasons; Ctrl-C mid-way restores the open baseline; a context that
// is not the lab is refused before anything is applied.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { policySteps } from '../../demo-server/src/catalog/policySteps.ts'
import { REPO_ROOT } from '../../demo-server/src/manifests.ts'
import type { KubeObject } from '../fakeKube/server.ts'
import { rehearse } from '../../scripts/lib/rehearsal/run.ts'
import type { RehearsalOptions } from '../../scripts/lib/rehearsal/run.ts'
import type { RehearsalReport } from '../../scripts/lib/rehearsal/report.ts'
import { actionOrder, readDeck } from '../../scripts/lib/slides.ts'
import { startFakeLab } from '../fakeLab/lab.ts'
import type { FakeLab } from '../fakeLab/lab.ts'

const DENIED_MS = 60
let lab: FakeLab
const originalPath = process.env.PATH
const originalLab = process.env.DEMO_LAB
const work = mkdtempSync(join(tmpdir(), 'rehearsal-'))

before(async () => {
  lab = await startFakeLab({ deniedMs: DENIED_MS, allowedMs: 5 })
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
const inProcess = (out: string, extra: Partial<RehearsalOptions> = {}) => rehearse({ access: access(), explicitContext: true, outDir: join(work, out), signal: new AbortController().signal, ...extra })
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

test('npm run demo:rehearse on the fake lab: every step in slide order, ready, the report and the recording written, the baseline restored', async () => {
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
  // every matrix compared, cell by cell
  assert.equal(json.matrices.length, 1 + policySteps.length)
  for (const m of json.matrices) {
    assert.equal(m.probed, m.observed, `${m.action}: every probed cell was observed`)
    assert.ok(m.probed >= 40)
    assert.deepEqual([m.mismatches, m.errors], [[], []])
  }
  // time: against the 30-minute budget, per slide with its note's plan
  assert.equal(json.time.budgetSeconds, 1800)
  assert.ok(json.time.demoStepsMs > 0 && json.time.demoStepsMs < 1800_000)
  assert.equal(json.time.demoPlannedSeconds, 1800)
  assert.ok(json.time.slides.find((s) => s.title.startsWith('Demo · Step 1'))!.steps.some((x) => x.action === policySteps[0]!.apply && (x.ms ?? 0) > 0))
  assert.match(md, /The demo's steps take \*\*[\d.]+ s\*\* of its \*\*30 min\*\*/)
  // the recording: one JSON file per action run, in the run store's format, the slides' every action
  const recorded = readdirSync(join(out, 'recording')).map((f) => f.replace(/\.json$/, '')).sort()
  assert.deepEqual(recorded, [...new Set([...order, ...chained])].sort())
  const runs = recorded.map((id) => JSON.parse(readFileSync(join(out, 'recording', `${id}.json`), 'utf8')) as { latest: { action: string; status: string; context: string } })
  assert.ok(runs.every((r) => r.latest.context === 'fake-calico-lab'))
  // the baseline, before and after: every step policy removed, one DELETE per policy of the step files
  assert.deepEqual(lab.policies(), [])
  assert.ok(json.baseline.after.ok)
  assert.equal(json.baseline.after.deleted.length, 7)
  assert.deepEqual(json.baseline.before.deleted, [])
})

test('a failing step is reported with its fix and the rehearsal goes on; a matrix that disagrees names its cells with both reasons', async () => {
  const forbid = lab.fake.respond({ pathPrefix: '/api/v1/namespaces/default/pods/alpine/exec' }, 403)
  // reviews-v1 reaches ratings although no policy allows it: the probes and the engine disagree from step 1 on
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
    assert.deepEqual(lab.policies(), [])
    // the matrices: the forbidden row's cells could not be probed; reviews-v1 → ratings disagrees once a policy is in
    const step4 = report.matrices.find((m) => m.action === policySteps[3]!.matrix)!
    const cell = step4.mismatches.find((c) => c.from === 'reviews-v1' && c.to === 'ratings:9080')
    assert.ok(cell, JSON.stringify(step4.mismatches))
    assert.equal(cell.expected.verdict, 'denied')
    assert.equal(cell.observed.verdict, 'allowed')
    assert.ok(cell.expected.reason.length > 10 && cell.observed.reason.length > 5)
    assert.ok(step4.errors.some((c) => c.from === 'alpine · default'), 'the row that may not exec')
    assert.match(md, new RegExp(`### \`${policySteps[3]!.matrix}\``))
    assert.match(md, /\| reviews-v1 → ratings:9080 \| denied: .+ \| allowed.*: .+ \|/)
    assert.equal(report.matrices.find((m) => m.action === 'reach-matrix-step-0')!.mismatches.length, 0, 'before any policy, allowed is what the engine expects')
    assert.match(first, /; 6 matrix cell\(s\) where the probes and the engine disagree: reach-matrix-step-1 \(1\), .*reach-matrix \(1\); 35 matrix cell\(s\) could not be probed: reach-matrix-step-0 \(5\), /)
  } finally {
    forbid()
    lab.override(undefined)
  }
})

test('Ctrl-C mid-way cancels the running step through its signal and restores the open baseline', async () => {
  const out = join(work, 'interrupted')
  let sent = false
  const stepsApplied = () => lab.policies().length
  const deletesBefore = lab.fake.requests.filter((r) => r.method === 'DELETE').length
  // once two steps are in, every probe hangs: the signal must end them
  lab.override(() => (stepsApplied() >= 2 ? { steps: [{ stdout: '' }], hang: true } : undefined))
  try {
    const { code, out: terminal } = await cli(['--context', lab.context, '--out', out], (child) => {
      if (!sent && stepsApplied() >= 2 && lab.fake.openExecStreams > 0) {
        sent = true
        child.kill('SIGINT')
      }
    })
    assert.ok(sent, `SIGINT was sent mid-way:\n${terminal}`)
    assert.equal(code, 130, terminal)
    assert.match(terminal, /■ stopping: the running step is cancelled/)
    assert.match(terminal, /open baseline restored: removed .*networkpolicy\.projectcalico\.org\/productpage.*networkpolicy\.projectcalico\.org\/default-deny/)
    // the fake saw the deletes, and no step policy is left
    const deletes = lab.fake.requests.filter((r) => r.method === 'DELETE').slice(deletesBefore).map((r) => r.path.split('/').at(-1))
    assert.ok(deletes.includes('default-deny') && deletes.includes('productpage'), deletes.join(', '))
    assert.deepEqual(lab.policies(), [])
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
  assert.match(out, /policy-default-deny-apply → reach-matrix-step-1\n\s+\$ kubectl apply --server-side -f manifests\/50-policy-default-deny\.yaml/)
  assert.match(out, /then the open baseline, last step first[\s\S]*\$ kubectl delete -f manifests\/55-policy-outside-range\.yaml[\s\S]*manifests\/50-policy-default-deny\.yaml/)
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
