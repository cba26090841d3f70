// Runner: how a catalog step runs. It validates parameters, joins a run already in progress instead of starting a
// second one, and records everything in the run store. One AbortSignal per run carries its cancel and its timeout
// into every request, exec, watch, host program and poll the run makes, so ending a run ends its work.
import type { Action, Params } from '../catalog/types.ts'
import type { Catalog } from '../catalog/index.ts'
import type { ClusterAccess } from '../kube/cluster.ts'
import { describeClusterError } from '../kube/cluster.ts'
import { runHostProgram } from '../host/programs.ts'
import { runMatrix } from '../matrix/run.ts'
import { formatChecklistSummary, runPreflight } from '../preflight.ts'
import type { Run } from '../protocol.ts'
import type { RunStore } from '../runStore.ts'
import { applyOrDelete } from './apply.ts'
import { runBgpRoutes } from './bgpRoutes.ts'
import { runExec } from './exec.ts'
import { runFlows } from './flows.ts'
import { runHost } from './host.ts'
import type { Outcome, Sink } from './outcome.ts'
import { runRollout } from './rollout.ts'
import { shownCommand } from './shownCommand.ts'
import { renderTable } from './table.ts'

export type StartResult =
  | { ok: true; run: Run; joined: boolean }
  | { ok: false; code: 'unknown-action' | 'invalid-params'; message: string }

/** What ended a run early: the presenter, or the action's own time limit. */
function abortOutcome(signal: AbortSignal, timeoutMs: number): Outcome {
  return (signal.reason as Error | undefined)?.name === 'TimeoutError'
    ? { status: 'failed', error: { kind: 'timeout', message: `no answer within ${timeoutMs / 1000} s (the action's timeout)` } }
    : { status: 'cancelled' }
}

export class Runner {
  private readonly controllers = new Map<string, AbortController>()
  /** actions to start again when their current run ends (a `then` arrived while they were running) */
  private readonly rerun = new Set<string>()
  private readonly catalog: Catalog
  private readonly store: RunStore
  private readonly cluster: () => ClusterAccess
  private readonly repoRoot: string
  private readonly onClusterFailure: () => void

  constructor(options: { catalog: Catalog; store: RunStore; cluster: () => ClusterAccess; repoRoot: string; onClusterFailure?: () => void }) {
    this.catalog = options.catalog
    this.store = options.store
    this.cluster = options.cluster
    this.repoRoot = options.repoRoot
    this.onClusterFailure = options.onClusterFailure ?? (() => {})
  }

  /** Runs in progress (each holds an AbortController until it has ended). */
  get active(): number {
    return this.controllers.size
  }

  /** Starts the action, or joins its run when one is already in progress: nothing executes twice. */
  start(actionId: string, rawParams: unknown = {}): StartResult {
    const action = this.catalog.get(actionId)
    if (!action) return { ok: false, code: 'unknown-action', message: `no action "${actionId}" in the catalog` }
    const parsed = this.catalog.parseParams(action, rawParams)
    if (!parsed.ok) return { ok: false, code: 'invalid-params', message: parsed.message }
    const current = this.store.get(actionId).run
    if (current?.status === 'running') return { ok: true, run: current, joined: true }

    const access = this.cluster()
    const run = this.store.start(actionId, parsed.params, access.context ?? undefined, shownCommand(action, parsed.params, this.catalog.lab))
    if (!access.kubeConfig && action.kind !== 'host') {
      this.store.finish(run, 'failed', { error: { kind: 'no-cluster', message: `offline: no cluster — ${access.problem}` } })
      return { ok: true, run, joined: false }
    }
    const controller = new AbortController()
    this.controllers.set(actionId, controller)
    const timer = setTimeout(() => controller.abort(new DOMException(`${actionId} timed out`, 'TimeoutError')), action.timeoutMs)
    const sink: Sink = {
      stdout: (t) => this.store.append(run, 'stdout', t),
      stderr: (t) => this.store.append(run, 'stderr', t),
      info: (t) => this.store.append(run, 'info', t),
    }
    const { signal } = controller
    void this.execute(action, parsed.params, access, sink, signal)
      .catch((error: unknown): Outcome => (signal.aborted ? abortOutcome(signal, action.timeoutMs) : { status: 'failed', error: describeClusterError(error) }))
      .then((outcome) => {
        clearTimeout(timer)
        this.controllers.delete(actionId)
        if (signal.aborted && outcome.status !== 'succeeded') outcome = abortOutcome(signal, action.timeoutMs)
        this.store.finish(run, outcome.status, { exitCode: outcome.exitCode, error: outcome.error })
        if (outcome.error && ['unreachable', 'timeout', 'forbidden'].includes(outcome.error.kind)) this.onClusterFailure()
        this.afterRun(actionId, action, outcome)
      })
    return { ok: true, run, joined: false }
  }

  /**
   * Server-side chaining: after an apply/delete step succeeds, its `then` starts (once, however many windows watch).
   * A `then` already running began before this change, so it runs once more when it ends.
   */
  private afterRun(actionId: string, action: Action, outcome: Outcome): void {
    if (this.rerun.delete(actionId) && outcome.status !== 'cancelled') this.start(actionId) // a cancel drops the re-run
    const next = outcome.status === 'succeeded' && (action.kind === 'apply' || action.kind === 'delete') ? action.then : undefined
    if (!next) return
    if (this.store.isRunning(next)) this.rerun.add(next)
    else this.start(next)
  }

  /** Cancels the running run of an action; returns false when nothing was running. */
  cancel(actionId: string): boolean {
    const controller = this.controllers.get(actionId)
    if (!controller) return false
    controller.abort()
    return true
  }

  /** Cancels everything (server shutdown). */
  cancelAll(): void {
    for (const controller of this.controllers.values()) controller.abort()
  }

  private async execute(action: Action, params: Params, access: ClusterAccess, sink: Sink, signal: AbortSignal): Promise<Outcome> {
    if (action.kind === 'host') return runHost(action, this.catalog.lab, sink, signal) // no cluster needed
    const kc = access.kubeConfig
    if (!kc) throw new Error('no cluster')
    switch (action.kind) {
      case 'exec':
        return runExec(kc, action, params, sink, signal)
      case 'table':
        sink.stdout(await renderTable(kc, action, signal))
        return { status: 'succeeded', exitCode: 0 }
      case 'rollout':
        return runRollout(kc, action, sink, signal)
      case 'preflight': {
        const checks = await runPreflight(kc, { lab: this.catalog.lab, signal, runHost: (argv) => runHostProgram(argv, { signal, timeoutMs: 10_000 }) })
        signal.throwIfAborted()
        sink.stdout(formatChecklistSummary(checks, true) + '\n')
        const failed = checks.filter((c) => c.status === 'fail').length
        return failed === 0 ? { status: 'succeeded', exitCode: 0 } : { status: 'failed', exitCode: 1, error: { kind: 'exit-code', message: `${failed} check(s) failed` } }
      }
      case 'apply':
      case 'delete':
        return applyOrDelete(kc, action, this.repoRoot, sink, signal)
      case 'probe-matrix':
        await runMatrix(kc, action, { lab: this.catalog.lab, out: sink, signal })
        return { status: 'succeeded', exitCode: 0 }
      case 'flows':
        return runFlows(kc, action, sink, signal)
      case 'bgp-routes':
        return runBgpRoutes(kc, action, this.catalog.lab, sink, signal)
    }
  }
}
