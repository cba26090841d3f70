// The catalog: every step the deck may ask for, checked once at start-up.
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { HOST_PROGRAMS } from '../host/programs.ts'
import { readManifests, scopeViolation } from '../manifests.ts'
import { parseLabelSelectorText } from '../policy/labelSelector.ts'
import { flowsActions, flowsProblems } from './flows.ts'
import { preflight } from './lab.ts'
import { matrixActions, matrixProblems } from './matrices.ts'
import { policyStepActions } from './policySteps.ts'
import { probeActions } from './probes.ts'
import { readActions } from './reads.ts'
import { routingActions } from './routing.ts'
import type { Action, Lab, Params } from './types.ts'

export class CatalogError extends Error {
  override name = 'CatalogError'
}

const ID = /^[a-z0-9][a-z0-9-]{0,62}$/

/** Problems with one action's own fields, one line each. */
function actionProblems(action: Action, repoRoot: string): string[] {
  const problems: string[] = []
  const say = (m: string) => problems.push(`${action.id}: ${m}`)
  if (!ID.test(action.id)) say('id must be lower-case words joined by "-"')
  if (!(action.timeoutMs > 0 && action.timeoutMs <= 300_000)) say('timeoutMs must be within (0, 300000]')
  switch (action.kind) {
    case 'host':
    case 'bgp-routes':
      for (const lab of ['kind', 'vms'] as const) {
        if (!(HOST_PROGRAMS as readonly string[]).includes(action.argv[lab][0])) say(`${action.argv[lab][0]} is not an allowed host program`)
      }
      if (action.kind === 'bgp-routes') {
        if (!action.namespaces.includes(action.endpoint.namespace)) say(`reads pods in ${action.endpoint.namespace}, which is not in its namespaces`)
        try {
          parseLabelSelectorText(action.endpoint.selector)
        } catch (error) {
          say((error as Error).message)
        }
      }
      break
    case 'exec':
      if (!action.namespaces.includes(action.namespace)) say(`execs in ${action.namespace}, which is not in its namespaces`)
      break
    case 'rollout':
      if (!action.namespaces.includes(action.namespace)) say(`restarts a deployment in ${action.namespace}, which is not in its namespaces`)
      break
    case 'table':
      if (action.namespace && !action.namespaces.includes(action.namespace)) say(`reads ${action.namespace}, which is not in its namespaces`)
      if (action.selector !== undefined) {
        try {
          parseLabelSelectorText(action.selector)
        } catch (error) {
          say((error as Error).message)
        }
      }
      break
    case 'apply':
    case 'delete': {
      if (action.manifests.length === 0) say('no manifests')
      const missing = action.manifests.filter((file) => !existsSync(resolve(repoRoot, file)))
      for (const file of missing) say(`manifest ${file} does not exist`)
      if (missing.length > 0) break
      try {
        for (const object of readManifests(repoRoot, action.manifests)) {
          const violation = scopeViolation(object, action.namespaces)
          if (violation) say(violation)
        }
      } catch (error) {
        say((error as Error).message)
      }
      break
    }
    case 'probe-matrix':
      problems.push(...matrixProblems(action, repoRoot))
      break
    case 'flows':
      problems.push(...flowsProblems(action))
      break
  }
  return problems
}

export class Catalog {
  private readonly byId = new Map<string, Action>()
  /** which argv host actions use */
  readonly lab: Lab

  /** Validates the whole catalog and throws one error listing every problem. */
  constructor(actions: Action[], repoRoot: string, lab: Lab = 'kind') {
    this.lab = lab
    const problems: string[] = []
    for (const action of actions) {
      if (this.byId.has(action.id)) problems.push(`${action.id}: duplicate id`)
      problems.push(...actionProblems(action, repoRoot))
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

/** The names of an action's parameters (none when it takes none). */
export function paramNames(action: Action): string[] {
  return Object.keys((action.params as unknown as { shape?: Record<string, unknown> } | undefined)?.shape ?? {})
}

/** Every action the deck can use. */
export function defaultActions(): Action[] {
  return [preflight, ...readActions, ...probeActions, ...routingActions, ...policyStepActions, ...matrixActions, ...flowsActions]
}
