// The dress rehearsal: the whole demo, once, unattended — through the deck's own Runner and RunStore (so each run is
// exactly what the deck would have shown, and is kept as the recording), between two restorations of the open baseline.
// A failing step is reported and the next one runs; a stop (Ctrl-C) cancels the running step through its AbortSignal
// and still restores the baseline.
//
// A watch (the flows stream: up to 4 minutes) does not hold the rehearsal up. It starts when its slide begins and runs
// alongside that slide's other steps, as on stage where the presenter starts it before applying the policy it watches;
// once they have ended (and the watch has streamed its first line) the rehearsal stops it, the way a presenter stops it
// with ■ Stop. Stopped after it streamed, it counts as ok — what it streamed is what it saw, and the deck replays it
// as a recording (setup/replayRule.ts endedWell); a watch that failed, or never connected, is a failure. Its time is
// not added to the slide's: it ran alongside.
import { mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { Catalog, defaultActions } from '../../../demo-server/src/catalog/index.ts'
import { labFor } from '../../../demo-server/src/catalog/lab.ts'
import type { Action } from '../../../demo-server/src/catalog/types.ts'
import type { ClusterAccess } from '../../../demo-server/src/kube/cluster.ts'
import { REPO_ROOT } from '../../../demo-server/src/manifests.ts'
import type { Run } from '../../../demo-server/src/protocol.ts'
import { Runner } from '../../../demo-server/src/runner/index.ts'
import { RunStore } from '../../../demo-server/src/runStore.ts'
import { endedWell } from '../../../setup/replayRule.ts'
import { restoreBaseline, unrestorable } from '../baseline.ts'
import { DEMO_BUDGET_SECONDS, readDeck } from '../slides.ts'
import { checkLabContext } from './labCheck.ts'
import { planRehearsal } from './plan.ts'
import type { PlannedStep } from './plan.ts'
import { fixFor, flowLogSlack, lastLine, matrixResult, seconds, slideTimes, summarizeBaseline, when, writeReport } from './report.ts'
import type { MatrixResult, RehearsalReport, StepResult, StepStatus } from './report.ts'

export interface RehearsalOptions {
  access: ClusterAccess
  /** the context was named on the command line (--context) */
  explicitContext: boolean
  /** where REPORT.md, report.json and recording/ go */
  outDir: string
  budgetSeconds?: number
  /** stops the steps (Ctrl-C): the running one is cancelled, the baseline is still restored */
  signal: AbortSignal
  /** stops the restoration too (a second Ctrl-C) */
  restoreSignal?: AbortSignal
  /** one line at a time, for the terminal */
  log?: (line: string) => void
  repoRoot?: string
  entry?: string
  actions?: Action[]
}

export type RehearsalOutcome =
  | { refused: true; reasons: string[] }
  | { refused: false; report: RehearsalReport; files: { markdown: string; json: string } }

/** Resolves when `run` (a run of `store`) has ended. */
function ended(store: RunStore, run: Run): Promise<Run> {
  if (run.status !== 'running') return Promise.resolve(run)
  return new Promise((resolve) => {
    const stop = store.subscribe((_action, event) => {
      if (event.type === 'ended' && event.run.id === run.id) {
        stop()
        resolve(event.run)
      }
    })
  })
}

/** Resolves when `run` has written its first chunk, or has ended. */
function streamedOrEnded(store: RunStore, run: Run): Promise<void> {
  if (run.status !== 'running' || run.chunks.length > 0) return Promise.resolve()
  return new Promise((resolve) => {
    const stop = store.subscribe((_action, event) => {
      if (event.run.id === run.id && (event.type === 'chunk' || event.type === 'ended')) {
        stop()
        resolve()
      }
    })
  })
}

const msOf = (first: Run, last: Run) => Math.max(0, Date.parse(last.endedAt ?? last.startedAt) - Date.parse(first.startedAt))

export async function rehearse(options: RehearsalOptions): Promise<RehearsalOutcome> {
  const log = options.log ?? (() => {})
  const repoRoot = options.repoRoot ?? REPO_ROOT
  const { access } = options
  const startedAt = new Date().toISOString()

  // nothing is applied before both the deck and the context are known to be right
  const slides = await readDeck(repoRoot, options.entry)
  const lab = labFor(access.context)
  const catalog = new Catalog(options.actions ?? defaultActions(), repoRoot, lab)
  const plan = planRehearsal(slides, catalog)
  const cannotUndo = unrestorable(plan.steps.map((s) => s.action))
  if (cannotUndo.length > 0) return { refused: true, reasons: [`the slides apply ${cannotUndo.join(', ')}, which the open baseline's steps (npm run demo:reset) do not remove: nothing is applied`] }
  const check = await checkLabContext(access, { explicit: options.explicitContext, signal: options.signal, repoRoot })
  if (!check.ok) return { refused: true, reasons: check.reasons }
  const kc = access.kubeConfig!
  const context = access.context!

  const recordingDir = join(options.outDir, 'recording')
  mkdirSync(recordingDir, { recursive: true })
  const store = new RunStore({ dir: recordingDir })
  const runner = new Runner({ catalog, store, cluster: () => access, repoRoot })
  const total = plan.steps.length
  log(`rehearsal on ${context} (${access.server ?? '?'}), lab: ${lab} — ${check.reasons.join('; ')}`)
  log(`${total} steps from ${slides.length} slides, in slide order; recording → ${recordingDir}`)

  const restoreSignal = options.restoreSignal ?? new AbortController().signal
  const baseline = async (when: string) => {
    const result = await restoreBaseline(kc, { signal: restoreSignal, repoRoot })
    const summary = summarizeBaseline(result)
    log(`${when}: ${summary.errors.length > 0 ? `✘ ${summary.errors.join('; ')}` : summary.deleted.length > 0 ? `removed ${summary.deleted.join(', ')}` : 'nothing to remove'}`)
    return summary
  }
  const before = await baseline('open baseline')

  const results: StepResult[] = []
  const matrices: MatrixResult[] = []
  /** per action: how long its run took (a chained matrix's own run included) */
  const durations = new Map<string, number>()
  /** per watch: how long it ran alongside its slide's steps */
  const alongside = new Map<string, number>()
  let policyApplied = false
  const cancelAll = () => runner.cancelAll()
  options.signal.addEventListener('abort', cancelAll)
  const width = String(total).length
  const line = (step: PlannedStep, mark: string, ms: number, status: string, detail: string) =>
    log(`${String(step.n).padStart(width)}/${total}  ${mark} slide ${String(step.slide.no).padEnd(3)} ${`${step.action.id}${step.then ? ` → ${step.then}` : ''}`.padEnd(52)} ${seconds(ms).padStart(9)}  ${status}${detail}`)
  const baseOf = (step: PlannedStep) => ({
    n: step.n, action: step.action.id, kind: step.action.kind, title: step.action.title,
    slide: { no: step.slide.no, title: step.slide.title, file: step.slide.file, demo: step.slide.demo },
    ...(step.then ? { then: step.then } : {}),
  })

  /** the watches of the slide under way, started when it began */
  let watching: Array<{ step: PlannedStep; run: Run }> = []
  /** Stops the slide's watches once its other steps have ended (each after its first line), and reports them. */
  const stopWatches = async () => {
    for (const { step, run } of watching) {
      await streamedOrEnded(store, run)
      // false when it had ended by itself (or Ctrl-C had stopped everything)
      const stopped = !options.signal.aborted && runner.cancel(step.action.id)
      const end = await ended(store, run)
      const ms = msOf(end, end)
      alongside.set(step.action.id, ms)
      const records = end.chunks.filter((c) => c.stream === 'stdout').reduce((n, c) => n + c.data.split('\n').filter(Boolean).length, 0)
      let status: StepStatus
      let fix = ''
      let note: string
      if (end.status === 'cancelled' && (!stopped || options.signal.aborted)) {
        status = 'cancelled'
        fix = fixFor(step.action, end, lab, context)
        note = 'stopped by Ctrl-C'
      } else if (endedWell(end, true)) {
        status = 'ok'
        note = `watched ${seconds(ms)} alongside slide ${step.slide.no}'s steps, ${records} record${records === 1 ? '' : 's'}; ${end.status === 'succeeded' ? 'it ended by itself' : 'stopped by the rehearsal once they had ended'}`
      } else {
        status = 'failed'
        fix = end.status === 'cancelled' ? 'the watch never connected: npm run demo:check (Goldmane, Whisker)' : fixFor(step.action, end, lab, context)
        note = `${end.error ? `${end.error.kind}: ${end.error.message}` : 'never connected'}`
      }
      results.push({ ...baseOf(step), status, ms, runIds: [end.id], ...(end.error ? { error: end.error } : {}), fix, alongside: true, note })
      const mark = { ok: '✔', answered: '↩', disagrees: '≠', failed: '✘', cancelled: '■', 'not-run': '–' }[status]
      line(step, mark, ms, status, ` (${note})${fix && status === 'failed' ? `\n${' '.repeat(width * 2 + 6)}fix: ${fix}` : ''}`)
    }
    watching = []
  }

  for (const step of plan.steps) {
    const { action } = step
    if (watching.length > 0 && watching[0]!.step.slide.no !== step.slide.no) await stopWatches()
    const base = baseOf(step)
    if (options.signal.aborted) {
      results.push({ ...base, status: 'not-run', ms: 0, runIds: [], fix: 'not run: the rehearsal was stopped' })
      continue
    }
    const started = runner.start(action.id)
    if (!started.ok) {
      results.push({ ...base, status: 'failed', ms: 0, runIds: [], error: { kind: 'invalid', message: started.message }, fix: started.message })
      log(`${String(step.n).padStart(width)}/${total}  ✘ ${action.id}: ${started.message}`)
      continue
    }
    if (step.alongside) {
      watching.push({ step, run: started.run })
      log(`${String(step.n).padStart(width)}/${total}  ▶ slide ${String(step.slide.no).padEnd(3)} ${action.id.padEnd(52)} watching alongside slide ${step.slide.no}'s other steps`)
      continue
    }
    const first = await ended(store, started.run)
    const runs = [first]
    if (step.then && first.status === 'succeeded') {
      const next = store.get(step.then).run
      if (next && Date.parse(next.startedAt) >= Date.parse(first.startedAt)) {
        // a stop that came as the step itself succeeded found its chained run not started yet: end that one too
        if (options.signal.aborted) runner.cancel(step.then)
        runs.push(await ended(store, next))
      }
    }
    const last = runs.at(-1)!
    const ms = msOf(first, last)
    durations.set(action.id, ms)
    if (runs.length > 1) durations.set(step.then!, msOf(last, last))
    const stepMatrices = runs.flatMap((r) => {
      const matrix = catalog.get(r.action)
      return matrix?.kind === 'probe-matrix' ? [matrixResult(r.action, step.n, r, matrix.flowLogs?.deadlineSeconds)] : []
    })
    matrices.push(...stepMatrices)

    const failedRun = runs.find((r) => r.status !== 'succeeded')
    let status: StepStatus = 'ok'
    let fix = ''
    let error: StepResult['error']
    if (failedRun) {
      error = failedRun.error
      const failedAction = catalog.get(failedRun.action) ?? action
      // a command (in a pod or on an outside client) that ran and answered non-zero once a policy is in: how a denied
      // probe ends; any other kind of step that fails, or a missing tool (126, 127), is a failure
      const answered = failedRun.status === 'failed' && failedRun.error?.kind === 'exit-code' && policyApplied
        && (failedAction.kind === 'exec' || failedAction.kind === 'host') && ![126, 127].includes(failedRun.exitCode ?? 0)
      status = failedRun.status === 'cancelled' ? 'cancelled' : answered ? 'answered' : 'failed'
      fix = answered ? '' : fixFor(failedAction, failedRun, lab, context)
    } else if (stepMatrices.some((m) => m.mismatches.length > 0 || m.errors.length > 0 || m.unreadable)) {
      status = 'disagrees'
      fix = stepMatrices.map((m) => `${m.action}: ${m.mismatches.length} mismatch(es), ${m.errors.length} cell(s) not probed${m.unreadable ? `, ${m.unreadable}` : ''} — see Matrices`).join('; ')
    }
    if (action.kind === 'apply' && first.status === 'succeeded') policyApplied = true
    const lastOut = status === 'answered' ? lastLine(failedRun!) : undefined
    results.push({ ...base, status, ms, runIds: runs.map((r) => r.id), ...(error ? { error } : {}), fix, ...(lastOut ? { lastLine: lastOut } : {}) })

    const mark = { ok: '✔', answered: '↩', disagrees: '≠', failed: '✘', cancelled: '■', 'not-run': '–' }[status]
    const matrixNote = stepMatrices.map((m) => ` (${m.probed} cells, ${m.mismatches.length} mismatch${m.mismatches.length === 1 ? '' : 'es'}${m.errors.length ? `, ${m.errors.length} not probed` : ''}${m.flowLogs ? `; Calico's flow logs: ${m.flowLogs.decided}/${m.probed} cells in ${seconds(m.flowLogs.waitedMs)}` : ''})`).join('')
    const detail = status === 'ok' ? matrixNote
      : status === 'answered' ? ` exit ${failedRun?.exitCode}: ${lastOut ?? ''}`
        : status === 'cancelled' ? ' (Ctrl-C)'
          : ` ${error ? `${error.kind}: ${error.message}` : ''}${fix ? `\n${' '.repeat(width * 2 + 6)}fix: ${fix}` : ''}`
    line(step, mark, ms, status, detail)
  }
  await stopWatches()
  results.sort((a, b) => a.n - b.n)
  options.signal.removeEventListener('abort', cancelAll)
  const interrupted = options.signal.aborted
  if (interrupted) log('stopped: the running step was cancelled; restoring the open baseline')
  const after = await baseline('open baseline restored')

  // ---- the verdict ----
  const time = slideTimes(slides, durations, alongside, flowLogSlack(matrices, plan.steps))
  const demoSlides = time.filter((s) => s.demo)
  const budgetSeconds = options.budgetSeconds ?? DEMO_BUDGET_SECONDS
  const demoStepsMs = demoSlides.reduce((sum, s) => sum + s.stepsMs, 0)
  const demoWorstMs = demoSlides.reduce((sum, s) => sum + s.worstMs, 0)
  const flowLogMatrices = matrices.filter((m) => m.flowLogs)
  const overruns = time.filter((s) => s.plannedSeconds !== undefined && s.stepsMs / 1000 > s.plannedSeconds)
    .map((s) => `slide ${s.no} (${s.title}): its steps take ${seconds(s.stepsMs)}, its note plans ${s.plannedSeconds} s`)
  const reasons: string[] = []
  const count = (status: StepStatus) => results.filter((r) => r.status === status)
  if (interrupted) reasons.push(`stopped by Ctrl-C after ${results.filter((r) => r.status !== 'not-run').length} of ${total} steps`)
  if (count('failed').length > 0) reasons.push(`${count('failed').length} step(s) failed: ${count('failed').map((r) => r.action).join(', ')}`)
  const tally = (pick: (m: MatrixResult) => number) => {
    const hit = matrices.filter((m) => pick(m) > 0)
    return { cells: hit.reduce((sum, m) => sum + pick(m), 0), list: hit.map((m) => `${m.action} (${pick(m)})`).join(', ') }
  }
  const disagree = tally((m) => m.mismatches.length)
  const unprobed = tally((m) => m.errors.length)
  if (disagree.cells > 0) reasons.push(`${disagree.cells} matrix cell(s) where the probes and the engine disagree: ${disagree.list}`)
  if (unprobed.cells > 0) reasons.push(`${unprobed.cells} matrix cell(s) could not be probed: ${unprobed.list}`)
  const unread = matrices.filter((m) => m.unreadable && m.mismatches.length + m.errors.length === 0 && !(interrupted && /cancelled/.test(m.unreadable)))
  if (unread.length > 0) reasons.push(`${unread.map((m) => `${m.action}: ${m.unreadable}`).join('; ')}`)
  if (!after.ok) reasons.push(`the open baseline was not restored (${after.errors.join('; ')}): npm run demo:reset`)
  if (demoStepsMs / 1000 > budgetSeconds) reasons.push(`the demo's steps take ${seconds(demoStepsMs)}, more than its ${seconds(budgetSeconds * 1000)}`)
  if (plan.problems.length > 0) reasons.push(`${plan.problems.length} slide component(s) name nothing in the catalog`)
  const ready = reasons.length === 0
  const agreeing = matrices.length > 0 ? `${matrices.length} matrices agree with the engine cell by cell${flowLogMatrices.length > 0 ? " (probes and Calico's flow logs)" : ''}` : 'no matrix ran'
  const atDeadline = flowLogMatrices.length > 0 ? ` (${seconds(demoWorstMs)} had every matrix waited its full flow-log deadline)` : ''
  const verdict = ready
    ? `ready — ${total} steps ran once on ${context} (${when(startedAt)}); ${agreeing}; the demo's steps take ${seconds(demoStepsMs)} of its ${seconds(budgetSeconds * 1000)}${atDeadline}`
    : `not ready — ${reasons.join('; ')}`
  const report: RehearsalReport = {
    ready,
    verdict,
    reasons,
    context,
    server: access.server,
    lab,
    labCheck: check.reasons,
    startedAt,
    endedAt: new Date().toISOString(),
    interrupted,
    steps: results,
    matrices,
    time: {
      budgetSeconds,
      demoStepsMs,
      demoPlannedSeconds: demoSlides.reduce((sum, s) => sum + (s.plannedSeconds ?? 0), 0),
      talkStepsMs: time.filter((s) => !s.demo).reduce((sum, s) => sum + s.stepsMs, 0),
      slides: time,
      overruns,
      flowLogs: {
        matrices: flowLogMatrices.length,
        waitedMs: flowLogMatrices.reduce((sum, m) => sum + m.flowLogs!.waitedMs, 0),
        deadlineSeconds: Math.max(0, ...flowLogMatrices.map((m) => m.flowLogs!.deadlineSeconds)),
        demoWorstMs,
      },
    },
    baseline: { before, after },
    recording: { dir: recordingDir, runs: readdirSync(recordingDir).filter((f) => f.endsWith('.json')).length },
    problems: plan.problems,
  }
  return { refused: false, report, files: writeReport(options.outDir, report) }
}
