// The catalog: every step the deck may ask for, checked once at start-up.
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Action, Lab, Params } from './types.ts'
import { HOST_PROGRAMS, kubectlLine } from './types.ts'
import { readManifests, scopeViolation } from '../runner/apply.ts'
import { foundationActions } from './foundation.ts'
import { demoActions, hostActions } from './demo.ts'
import { matrixActions, matrixProblems } from './matrix.ts'
import { expectedFromManifests } from '../probe/expected.ts'
import type { ExpectedLine } from '../probe/cells.ts'

export class CatalogError extends Error {
  override name = 'CatalogError'
}

export class Catalog {
  private readonly byId = new Map<string, Action>()
  /** which argv host actions use */
  readonly lab: Lab
  private readonly repoRoot: string
  /** probe-matrix actions: the engine's expectation on manifests/, computed once (offline, before any run) */
  private readonly offlineExpected = new Map<string, ExpectedLine>()

  /** Validates the whole catalog and throws one error listing every problem. */
  constructor(actions: Action[], repoRoot: string, lab: Lab = 'kind') {
    this.lab = lab
    this.repoRoot = repoRoot
    const problems: string[] = []
    for (const action of actions) {
      if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(action.id)) problems.push(`${action.id}: id must be lower-case words joined by "-"`)
      if (this.byId.has(action.id)) problems.push(`${action.id}: duplicate id`)
      if (!(action.timeoutMs > 0 && action.timeoutMs <= 300_000)) problems.push(`${action.id}: timeoutMs must be within (0, 300000]`)
      if (action.kind === 'host') {
        for (const lab of ['kind', 'vms'] as const) {
          if (!(HOST_PROGRAMS as readonly string[]).includes(action.argv[lab][0])) problems.push(`${action.id}: ${action.argv[lab][0]} is not an allowed host program`)
        }
      } else if (action.kind !== 'preflight' && typeof action.kubectl === 'string' && !action.kubectl.startsWith('kubectl ')) {
        problems.push(`${action.id}: the kubectl line must start with "kubectl "`)
      }
      if (action.kind === 'table' && action.columns) {
        const arg = `-o custom-columns=${action.columns.map((c) => `${c.header}:${c.path}`).join(',')}`
        if (typeof action.kubectl !== 'string' || !action.kubectl.includes(arg)) problems.push(`${action.id}: the kubectl line must carry ${arg}`)
      }
      if (action.kind === 'exec' && !action.namespaces.includes(action.namespace)) {
        problems.push(`${action.id}: execs in ${action.namespace}, which is not in its namespaces`)
      }
      if (action.kind === 'rollout' && !action.namespaces.includes(action.namespace)) {
        problems.push(`${action.id}: restarts a deployment in ${action.namespace}, which is not in its namespaces`)
      }
      if (action.kind === 'table' && action.namespace && !action.namespaces.includes(action.namespace)) {
        problems.push(`${action.id}: reads ${action.namespace}, which is not in its namespaces`)
      }
      if (action.kind === 'apply' || action.kind === 'delete') {
        if (action.manifests.length === 0) problems.push(`${action.id}: no manifests`)
        for (const file of action.manifests) {
          if (!existsSync(resolve(repoRoot, file))) problems.push(`${action.id}: manifest ${file} does not exist`)
        }
        if (action.manifests.every((file) => existsSync(resolve(repoRoot, file)))) {
          try {
            for (const object of readManifests(repoRoot, action.manifests)) {
              const violation = scopeViolation(object, action.namespaces)
              if (violation) problems.push(`${action.id}: ${violation}`)
            }
          } catch (error) {
            problems.push(`${action.id}: ${(error as Error).message}`)
          }
        }
      }
      if (action.kind === 'probe-matrix') problems.push(...matrixProblems(action, repoRoot))
      this.byId.set(action.id, action)
    }
    for (const action of actions) {
      if ((action.kind !== 'apply' && action.kind !== 'delete') || action.then === undefined) continue
      const next = this.byId.get(action.then)
      if (!next || next === action || next.params) problems.push(`${action.id}: then "${action.then}" must name another action of the catalog that takes no parameters`)
    }
    if (problems.length > 0) throw new CatalogError(`the catalog is invalid:\n  - ${problems.join('\n  - ')}`)
  }

  get(id: string): Action | undefined {
    return this.byId.get(id)
  }

  list(): Action[] {
    return [...this.byId.values()]
  }

  /** What the deck shows for each action before anything runs. */
  describe(): Array<{ id: string; title: string; kind: string; kubectl: string; expected?: ExpectedLine }> {
    return this.list().map((a) => ({
      id: a.id,
      title: a.title,
      kind: a.kind,
      kubectl: kubectlLine(a, a.params ? this.placeholderParams(a) : {}, this.lab),
      ...(a.kind === 'probe-matrix' ? { expected: this.expectedOffline(a.id) } : {}),
    }))
  }

  /** A probe matrix's expectation from manifests/ (what the slide shows with no cluster, labelled as such). */
  expectedOffline(id: string): ExpectedLine | undefined {
    const action = this.byId.get(id)
    if (action?.kind !== 'probe-matrix') return undefined
    let line = this.offlineExpected.get(id)
    if (!line) this.offlineExpected.set(id, (line = expectedFromManifests(action, this.repoRoot)))
    return line
  }

  /** An action with parameters shows its kubectl line with each parameter as <name>. */
  private placeholderParams(action: Action): Params {
    const shape = (action.params as unknown as { shape?: Record<string, unknown> } | undefined)?.shape ?? {}
    return Object.fromEntries(Object.keys(shape).map((k) => [k, `<${k}>`]))
  }

  parseParams(action: Action, raw: unknown): { ok: true; params: Params } | { ok: false; message: string } {
    const given = raw ?? {}
    if (!action.params) {
      if (typeof given === 'object' && given !== null && Object.keys(given).length === 0) return { ok: true, params: {} }
      return { ok: false, message: `${action.id} takes no parameters` }
    }
    const result = action.params.safeParse(given)
    if (!result.success) {
      const issues = result.error.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; ')
      return { ok: false, message: `invalid parameters for ${action.id}: ${issues}` }
    }
    return { ok: true, params: result.data as Params }
  }
}

/** Every action the deck can use. */
export function defaultActions(): Action[] {
  return [...foundationActions, ...demoActions, ...hostActions, ...matrixActions]
}
