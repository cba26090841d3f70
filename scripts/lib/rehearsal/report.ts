// The rehearsal's verdict, as data (report.json) and as a page a presenter reads the day before (REPORT.md): a first
// line that says "ready" or "not ready — why"; per step its status, time and what to fix; per matrix the cells where
// the engine and the probes disagree, with both reasons; the steps' time against the demo's budget and each slide's.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Action, Lab } from '../../../demo-server/src/catalog/types.ts'
import { readMatrix } from '../../../demo-server/src/matrix/reachability.ts'
import type { FailureKind, Run } from '../../../demo-server/src/protocol.ts'
import type { BaselineResult } from '../baseline.ts'
import type { DeckSlide } from '../slides.ts'

/**
 * ok · answered (a command in a pod or on an outside client that ran and answered non-zero after a policy step: how a
 * denied probe ends; the matrix of that moment judges reachability) · disagrees (a matrix whose probes and engine differ, or with cells it could not
 * probe) · failed · cancelled (Ctrl-C) · not-run (after a Ctrl-C).
 */
export type StepStatus = 'ok' | 'answered' | 'disagrees' | 'failed' | 'cancelled' | 'not-run'

export interface CellDisagreement {
  from: string
  to: string
  state: 'mismatch' | 'error'
  expected: { verdict: string; reason: string }
  observed: { verdict: string; reason: string; evidence?: string; command?: string }
  /** Calico's flow logs, when the matrix read them */
  calico?: { verdict: string; reason: string }
}

export interface MatrixResult {
  action: string
  /** the step it belongs to (its own, or the policy step that chained it) */
  step: number
  probed: number
  observed: number
  mismatches: CellDisagreement[]
  errors: CellDisagreement[]
  /** the run wrote no matrix at all */
  unreadable?: string
  /** Calico's opinion, for a matrix that reads flow logs: what its cells got, and how long the run waited for it */
  flowLogs?: {
    /** cells with Calico's verdict (allowed / denied) */
    decided: number
    /** cells whose records say no verdict: partial (a hairpin's source record only), conflict, ambiguous */
    undecided: number
    /** cells with no record by the deadline */
    noRecord: number
    /** cells whose flow logs could not be read at all */
    unavailable: number
    /** from the end of the probes (settling included) to the end of the run */
    waitedMs: number
    /** the most it may wait (the action's flowLogs.deadlineSeconds) */
    deadlineSeconds: number
  }
}

export interface StepResult {
  n: number
  action: string
  kind: Action['kind']
  title: string
  slide: { no: number; title: string; file: string; demo: boolean }
  /** the chained run (a policy step's matrix), when there is one */
  then?: string
  status: StepStatus
  /** from the first run's start to the last run's end */
  ms: number
  /** the runs of the step, as the recording keeps them */
  runIds: string[]
  error?: { kind: FailureKind; message: string }
  /** what to do about it (empty when ok) */
  fix: string
  /** the output's last line, for a command that answered */
  lastLine?: string
  /** a watch: it ran alongside its slide's other steps (its time is not the slide's) */
  alongside?: boolean
  /** what happened, in a few words (a watch: how long it watched, how many records, how it ended) */
  note?: string
}

export interface SlideTime {
  no: number
  title: string
  file: string
  demo: boolean
  /** seconds the speaker note plans */
  plannedSeconds: number | undefined
  /** the steps the slide shows, each as measured (a watch ran alongside the others: not counted in stepsMs) */
  steps: Array<{ action: string; ms: number | undefined; alongside?: boolean }>
  stepsMs: number
  /** stepsMs with every matrix the slide shows waiting its full flow-log deadline */
  worstMs: number
}

export interface RehearsalReport {
  ready: boolean
  /** the report's first line */
  verdict: string
  reasons: string[]
  context: string
  server: string | null
  lab: Lab
  labCheck: string[]
  startedAt: string
  endedAt: string
  interrupted: boolean
  steps: StepResult[]
  matrices: MatrixResult[]
  time: {
    budgetSeconds: number
    /** the demo slides' steps, each slide counting every step it shows */
    demoStepsMs: number
    /** seconds the demo slides' notes plan */
    demoPlannedSeconds: number
    talkStepsMs: number
    slides: SlideTime[]
    /** slides whose steps take longer than their note plans */
    overruns: string[]
    /** the matrices' wait for Calico's flow logs, part of demoStepsMs */
    flowLogs: {
      matrices: number
      waitedMs: number
      deadlineSeconds: number
      /** demoStepsMs had every matrix waited its full deadline */
      demoWorstMs: number
    }
  }
  baseline: { before: BaselineSummary; after: BaselineSummary }
  recording: { dir: string; runs: number }
  problems: string[]
}

export interface BaselineSummary {
  ok: boolean
  deleted: string[]
  errors: string[]
}

export const summarizeBaseline = (b: BaselineResult): BaselineSummary => ({
  ok: b.ok,
  deleted: b.deleted,
  errors: b.steps.flatMap((s) => (s.error ? [`${s.step.id}: ${s.error.message}`] : [])),
})

// ---- what to fix ------------------------------------------------------------------------------------------------

const stdoutOf = (run: Run) => run.chunks.filter((c) => c.stream === 'stdout').map((c) => c.data).join('')
const textOf = (run: Run) => run.chunks.filter((c) => c.stream !== 'info').map((c) => c.data).join('')
const plain = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, '')
export const lastLine = (run: Run) => plain(textOf(run)).trim().split('\n').filter(Boolean).at(-1)?.slice(0, 200)

/** What `kubectl auth can-i` would check for an action, to name in a "forbidden" fix. */
function rights(action: Action): string {
  const ns = action.namespaces[0] ?? ''
  switch (action.kind) {
    case 'exec': return `kubectl auth can-i create pods/exec -n ${action.namespace}`
    case 'apply': return `kubectl auth can-i patch networkpolicies.projectcalico.org -n ${ns}`
    case 'delete': return `kubectl auth can-i delete networkpolicies.projectcalico.org -n ${ns}`
    case 'rollout': return `kubectl auth can-i patch deployments -n ${action.namespace}`
    case 'table': return `kubectl auth can-i list ${action.resource}${action.namespace ? ` -n ${action.namespace}` : ''}`
    case 'probe-matrix': return `kubectl auth can-i create pods/exec -n ${ns}; kubectl auth can-i patch pods/ephemeralcontainers -n ${ns}`
    default: return 'kubectl auth can-i --list'
  }
}

/** The fix for a step that did not end well, by failure kind — the preflight's kind of advice. */
export function fixFor(action: Action, run: Run, lab: Lab, context: string): string {
  const error = run.error
  if (run.status === 'cancelled') return 'stopped by Ctrl-C: run npm run demo:rehearse again'
  if (!error) return ''
  const shown = run.command ? `\`${run.command}\`` : `the step ${action.id}`
  switch (error.kind) {
    case 'no-cluster':
      return 'no kube context: npm run cluster:kind (rehearsal) or export KUBECONFIG=tmp/cluster-kit/vms.kubeconfig (VMs), then npm run demo:check'
    case 'unreachable':
      return lab === 'kind'
        ? 'the API server stopped answering: is Docker running? `docker ps` should list calico-lab-control-plane; else npm run cluster:kind'
        : 'the API server stopped answering: `multipass list`; `multipass start control node1 node2 host1`'
    case 'forbidden':
      return `the identity of ${context} may not do this: ${rights(action)} (README: "RBAC the demo server needs")`
    case 'timeout':
      return action.kind === 'probe-matrix'
        ? `no end within ${action.timeoutMs / 1000} s: are the debug containers pulling ${action.debugImage}? kubectl get pods -n dev1 -o wide; kubectl describe pod -n dev1 <pod>`
        : `no answer within ${action.timeoutMs / 1000} s: run ${shown} by hand; npm run demo:check`
    case 'not-found':
      if (action.kind === 'host') return `${error.message}: the outside clients are reached through ${lab === 'kind' ? 'Docker (docker exec host1 …)' : 'multipass (multipass exec host1 -- …)'}`
      if (action.kind === 'exec') return `${error.message}: kubectl get pods -n ${action.namespace} -o wide; npm run demo:check`
      return `${error.message}: npm run demo:check names what is missing`
    case 'stream-dropped':
      return 'the exec stream closed without an exit status (the API server or kubelet went away mid-run): run the step again; npm run demo:check'
    case 'invalid':
      return `refused before it ran: ${error.message} (the step's declaration in demo-server/src/catalog/ is wrong)`
    case 'api-error':
      return `the API server answered: ${error.message} — kubectl get --raw /readyz; npm run demo:check`
    case 'exit-code': {
      if (action.kind === 'preflight') {
        const lines = plain(stdoutOf(run)).split('\n')
        const failed = lines.flatMap((l, i) => (/^[✘✗] /.test(l) ? [`${l.slice(2)}${lines[i + 1]?.trim().startsWith('fix:') ? ` — ${lines[i + 1]!.trim()}` : ''}`] : []))
        return failed.length > 0 ? failed.join('; ') : 'see the preflight output: npm run demo:check'
      }
      const tool = run.exitCode === 127 || run.exitCode === 126
      return tool
        ? `the command is not in the container (exit ${run.exitCode}): ${lastLine(run) ?? ''} — the image differs from the lab's`
        : `exit ${run.exitCode ?? '?'}: ${lastLine(run) ?? 'no output'} — run ${shown} by hand`
    }
  }
}

/** When a matrix run's probes ended (settling's re-probes included): its last observation, ms into the run. */
function probesEndedAt(run: Run): number {
  let at = 0
  for (const c of run.chunks) {
    if (c.stream !== 'stdout' || !c.data.includes('"observed"')) continue
    for (const text of c.data.split('\n')) {
      try {
        const line = JSON.parse(text) as { kind?: string; by?: string }
        if (line.kind === 'opinion' && line.by === 'observed') at = Math.max(at, c.at)
      } catch {
        // a line split across chunks: its other half carries the same time, near enough
      }
    }
  }
  return at
}

/**
 * The cells of a matrix run where the probes and the engine disagree (Calico's flow logs included, as the matrix
 * compares them), or that could not be probed; and for a matrix that reads flow logs (`deadlineSeconds`), what
 * Calico's records said and how long the run waited for them.
 */
export function matrixResult(action: string, step: number, run: Run, deadlineSeconds?: number): MatrixResult {
  const reader = readMatrix(stdoutOf(run))
  const m = reader.reachability
  if (!m) return { action, step, probed: 0, observed: 0, mismatches: [], errors: [], unreadable: run.error?.message ?? 'the run wrote no matrix' }
  const { probed, observed, mismatches, errors } = m.compare()
  const cell = (state: CellDisagreement['state']) => (c: (typeof mismatches)[number]): CellDisagreement => ({
    from: c.row.label,
    to: c.col.label,
    state,
    expected: { verdict: c.opinions.expected?.verdict ?? 'unknown', reason: c.opinions.expected?.reason ?? 'no expectation' },
    observed: {
      verdict: c.opinions.observed?.verdict ?? 'none',
      reason: c.opinions.observed?.reason ?? 'not observed',
      ...(c.opinions.observed?.evidence ? { evidence: c.opinions.observed.evidence } : {}),
      ...(c.opinions.observed?.command ? { command: c.opinions.observed.command } : {}),
    },
    ...(c.opinions.calico ? { calico: { verdict: c.opinions.calico.verdict, reason: c.opinions.calico.reason } } : {}),
  })
  const unfinished = run.status === 'succeeded' ? undefined : `the run ${run.status}${run.error ? `: ${run.error.message}` : ''}`
  let flowLogs: MatrixResult['flowLogs']
  if (deadlineSeconds !== undefined) {
    const calico = [...m.cells.values()].filter((c) => c.unprobed === undefined).map((c) => c.opinions.calico)
    const count = (test: (evidence: string | undefined) => boolean) => calico.filter((o) => test(o?.evidence)).length
    const runMs = Math.max(0, Date.parse(run.endedAt ?? run.startedAt) - Date.parse(run.startedAt))
    flowLogs = {
      decided: count((e) => e === 'allowed' || e === 'denied'),
      undecided: count((e) => e === 'partial' || e === 'conflict' || e === 'ambiguous'),
      noRecord: count((e) => e === 'no-record'),
      unavailable: count((e) => e === 'unavailable'),
      waitedMs: Math.max(0, runMs - probesEndedAt(run)),
      deadlineSeconds,
    }
  }
  return { action, step, probed, observed, mismatches: mismatches.map(cell('mismatch')), errors: errors.map(cell('error')), ...(unfinished ? { unreadable: unfinished } : {}), ...(flowLogs ? { flowLogs } : {}) }
}

/**
 * Per action a slide shows, how much longer its matrix could have waited for flow logs (its deadline less its wait): a
 * matrix's own id, and a policy step's apply (whose chained matrix the slide shows).
 */
export function flowLogSlack(matrices: readonly MatrixResult[], steps: ReadonlyArray<{ action: { id: string }; then?: string }>): Map<string, number> {
  const slack = new Map<string, number>()
  for (const m of matrices) {
    if (!m.flowLogs) continue
    const ms = Math.max(0, m.flowLogs.deadlineSeconds * 1000 - m.flowLogs.waitedMs)
    slack.set(m.action, ms)
    for (const s of steps) if (s.then === m.action) slack.set(s.action.id, ms)
  }
  return slack
}

// ---- time -------------------------------------------------------------------------------------------------------

/**
 * Each shown slide with its planned seconds and the measured time of every step it shows — a watch apart (it ran
 * alongside the others) — and that time again had every matrix waited its full flow-log deadline (`slack`).
 */
export function slideTimes(slides: readonly DeckSlide[], durations: ReadonlyMap<string, number>, alongside: ReadonlyMap<string, number> = new Map(), slack: ReadonlyMap<string, number> = new Map()): SlideTime[] {
  return slides.filter((s) => !s.hidden && (s.demo || s.uses.length > 0)).map((s) => {
    const steps: SlideTime['steps'] = s.uses.flatMap((u) => (!u.action ? [] : alongside.has(u.action) ? [{ action: u.action, ms: alongside.get(u.action), alongside: true }] : [{ action: u.action, ms: durations.get(u.action) }]))
    const counted = steps.filter((x) => !x.alongside)
    const stepsMs = counted.reduce((sum, x) => sum + (x.ms ?? 0), 0)
    const worstMs = stepsMs + counted.reduce((sum, x) => sum + (x.ms === undefined ? 0 : (slack.get(x.action) ?? 0)), 0)
    return { no: s.no, title: s.title, file: s.file, demo: s.demo, plannedSeconds: s.seconds, steps, stepsMs, worstMs }
  })
}

export const seconds = (ms: number): string => {
  const s = ms / 1000
  if (s < 60) return `${s.toFixed(1)} s`
  const rest = Math.round(s % 60)
  return rest === 0 ? `${Math.floor(s / 60)} min` : `${Math.floor(s / 60)} min ${rest} s`
}

/** A moment as the report states it: 2026-11-21 14:02 (local time). */
export function when(iso: string): string {
  const d = new Date(iso)
  const two = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`
}

// ---- the page ---------------------------------------------------------------------------------------------------

const cellText = (text: string) => text.replaceAll('|', '\\|').replace(/\s*\n\s*/g, ' ')
const MARK: Record<StepStatus, string> = { ok: '✔ ok', answered: '↩ answered', disagrees: '≠ disagrees', failed: '✘ failed', cancelled: '■ cancelled', 'not-run': '– not run' }

export function reportMarkdown(r: RehearsalReport): string {
  const out: string[] = [r.verdict, '']
  out.push('# Dress rehearsal', '')
  out.push(`Context **${r.context}** (${r.server ?? 'no server'}), lab: ${r.lab === 'kind' ? 'the kind rehearsal' : 'the VMs'}. Ran ${when(r.startedAt)} → ${when(r.endedAt).slice(11)}.`)
  out.push('', ...r.labCheck.map((l) => `- ${l}`))
  if (r.reasons.length > 0) out.push('', '## Why not ready', '', ...r.reasons.map((l) => `- ${l}`))
  if (r.problems.length > 0) out.push('', '## Slides that name nothing', '', ...r.problems.map((l) => `- ${l}`))

  out.push('', '## Steps', '', 'In the order the slides show them, each once; a policy step includes the matrix it re-runs. A watch runs alongside its slide\'s other steps: started as the slide begins, stopped by the rehearsal once they have ended (as the presenter stops it), which counts as ok when it had streamed; its time is not added to the slide\'s.', '')
  out.push('| # | slide | step | status | time | what to fix |', '| --: | --: | --- | --- | --: | --- |')
  for (const s of r.steps) {
    const name = `\`${s.action}\`${s.then ? ` → \`${s.then}\`` : ''}`
    const fix = s.status === 'answered' ? `answered: ${s.lastLine ?? ''} — after a policy step a denied probe ends this way; check it against the slide`
      : [s.note, s.fix].filter(Boolean).join(' — ')
    const time = s.status === 'not-run' ? '' : `${s.alongside ? 'alongside, ' : ''}${seconds(s.ms)}`
    out.push(`| ${s.n} | ${s.slide.no} | ${name} | ${MARK[s.status]} | ${time} | ${cellText(fix)} |`)
  }

  out.push('', '## Matrices', '')
  if (r.matrices.length === 0) out.push('No matrix ran.')
  for (const m of r.matrices) {
    const bad = m.mismatches.length + m.errors.length
    out.push(`### \`${m.action}\` (step ${m.step})`, '')
    out.push(`${m.observed}/${m.probed} cells probed · ${m.mismatches.length} where the probes or Calico's flow logs and the engine disagree · ${m.errors.length} that could not be probed${m.unreadable ? ` · ${m.unreadable}` : ''}.`)
    const f = m.flowLogs
    if (f) {
      const rest = [f.undecided ? `${f.undecided} whose records name no verdict (a hairpin's source record only, or records that conflict)` : '', f.noRecord ? `${f.noRecord} with no record by the deadline` : '', f.unavailable ? `${f.unavailable} whose flow logs could not be read` : ''].filter(Boolean)
      out.push('', `Calico's flow logs: ${f.decided}/${m.probed} cells with Calico's verdict${rest.length ? `, ${rest.join(', ')}` : ''}; the run waited ${seconds(f.waitedMs)} for them after its probes (at most ${f.deadlineSeconds} s).`)
    }
    if (bad > 0) {
      out.push('', '| from → to | expected (the engine) | observed (the probe) | Calico (flow logs) |', '| --- | --- | --- | --- |')
      for (const c of [...m.mismatches, ...m.errors]) {
        out.push(`| ${cellText(`${c.from} → ${c.to}`)}${c.state === 'error' ? ' (not probed)' : ''} | ${cellText(`${c.expected.verdict}: ${c.expected.reason}`)} | ${cellText(`${c.observed.verdict}${c.observed.evidence ? ` (${c.observed.evidence})` : ''}: ${c.observed.reason}`)} | ${c.calico ? cellText(`${c.calico.verdict}: ${c.calico.reason}`) : ''} |`)
      }
    }
    out.push('')
  }

  const t = r.time
  out.push('## Time', '')
  out.push(`The demo's steps take **${seconds(t.demoStepsMs)}** of its **${seconds(t.budgetSeconds * 1000)}** (${((t.demoStepsMs / 1000 / t.budgetSeconds) * 100).toFixed(1)} %); its slides' notes plan ${seconds(t.demoPlannedSeconds * 1000)} in all. The talk's live steps take ${seconds(t.talkStepsMs)}. A slide counts every step it shows, as measured once here.`)
  const fl = t.flowLogs
  if (fl.matrices > 0) {
    const worst = `Had every matrix waited its full ${fl.deadlineSeconds} s, the demo's steps would take **${seconds(fl.demoWorstMs)}**${fl.demoWorstMs / 1000 > t.budgetSeconds ? ` — ⚠ more than its ${seconds(t.budgetSeconds * 1000)}` : ''}.`
    out.push('', `Of that, ${fl.matrices} matrices waited ${seconds(fl.waitedMs)} in all for Calico's flow logs after their probes: on a cluster Felix flushes every 15 s and Goldmane files 15 s buckets, so expect 15–30 s a matrix, at most ${fl.deadlineSeconds} s. ${worst}`)
  }
  if (t.overruns.length > 0) out.push('', ...t.overruns.map((o) => `- ⚠ ${o}`))
  out.push('', '| slide | title | planned | steps | share | at the flow-log deadline |', '| --: | --- | --: | --: | --: | --: |')
  for (const s of t.slides) {
    const share = s.plannedSeconds ? `${Math.round((s.stepsMs / 1000 / s.plannedSeconds) * 100)} %` : ''
    const watched = s.steps.filter((x) => x.alongside && x.ms !== undefined).map((x) => ` (+ a watch alongside, ${seconds(x.ms!)})`).join('')
    out.push(`| ${s.no}${s.demo ? '' : ' (talk)'} | ${cellText(s.title)} | ${s.plannedSeconds === undefined ? '' : `${s.plannedSeconds} s`} | ${seconds(s.stepsMs)}${watched} | ${share} | ${s.worstMs > s.stepsMs ? seconds(s.worstMs) : ''} |`)
  }

  const base = (b: BaselineSummary) => (b.errors.length > 0 ? `✘ ${b.errors.join('; ')}` : b.deleted.length > 0 ? `removed ${b.deleted.join(', ')}` : 'nothing to remove')
  out.push('', '## Open baseline', '', `- before: ${base(r.baseline.before)}`, `- after: ${base(r.baseline.after)}`)
  out.push('', '## Recording', '', `${r.recording.runs} runs in \`${r.recording.dir}\` (one JSON file per step, as the run store keeps them). \`npm start\` and \`npm run export\` read it beside \`.runs/\`: for each step the newer run is shown, labelled with its time. Commit it to keep it as the offline fallback.`, '')
  return out.join('\n')
}

/** REPORT.md and report.json in `dir`; returns their paths. */
export function writeReport(dir: string, report: RehearsalReport): { markdown: string; json: string } {
  const markdown = join(dir, 'REPORT.md')
  const json = join(dir, 'report.json')
  writeFileSync(markdown, reportMarkdown(report))
  writeFileSync(json, JSON.stringify(report, null, 2) + '\n')
  return { markdown, json }
}
