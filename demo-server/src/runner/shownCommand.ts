// The command shown on the slide, built from the action's own fields — the same fields the runner runs — so the two
// cannot drift. Hand-written only where no field says it (the preflight's `npm run demo:check`). A step made of
// several reads shows them joined with &&, in the order it makes them.
import type { Action, Lab, Params } from '../catalog/types.ts'
import { shellLine } from '../host/programs.ts'
import { workloadArg } from '../kube/pods.ts'
import { matrixShownCommand } from '../matrix/probe.ts'
import { flowsShownCommand } from './flows.ts'
import { SHOWN_RESOURCE } from './table.ts'

const files = (manifests: readonly string[]) => manifests.map((f) => `-f ${f}`).join(' ')

function commandFor(action: Action, params: Params, lab: Lab): string {
  switch (action.kind) {
    case 'table': {
      const scope = action.allNamespaces ? ' -A' : action.namespace ? ` -n ${action.namespace}` : ''
      const selector = action.selector ? ` -l ${shellLine([action.selector])}` : ''
      const output = action.columns
        ? ` -o ${shellLine([`custom-columns=${action.columns.map((c) => `${c.header}:${c.path}`).join(',')}`])}` // [*] would be a glob to zsh
        : action.wide ? ' -o wide' : ''
      return `kubectl get ${SHOWN_RESOURCE[action.resource]}${scope}${selector}${output}`
    }
    case 'exec': {
      const argv = typeof action.command === 'function' ? action.command(params) : action.command
      return `kubectl exec -n ${action.namespace} ${workloadArg(action.target)}${action.container ? ` -c ${action.container}` : ''} -- ${shellLine(argv)}`
    }
    case 'apply':
      return `kubectl apply --server-side ${files(action.manifests)}`
    case 'delete':
      return `kubectl delete ${files(action.manifests)} --ignore-not-found`
    case 'host':
      return shellLine(action.argv[lab])
    case 'rollout':
      return `kubectl rollout restart deployment/${action.deployment} -n ${action.namespace} && kubectl get events -n ${action.namespace} --watch-only`
    case 'preflight':
      return action.shownCommand
    case 'probe-matrix':
      return matrixShownCommand(action)
    case 'flows':
      return flowsShownCommand(action)
    case 'bgp-routes':
      return [
        `kubectl get pods -n ${action.endpoint.namespace} -l ${shellLine([action.endpoint.selector])} -o wide`,
        'kubectl get nodes -o wide',
        shellLine(action.argv[lab]),
      ].join(' && ')
  }
}

/**
 * The command line for `action` run with `params` on `lab`. A parameter the deck has not chosen yet (`placeholders`)
 * shows as <name>.
 */
export function shownCommand(action: Action, params: Params, lab: Lab, placeholders: readonly string[] = []): string {
  // placeholders go in as plain words (never quoted), then become <name>
  const marker = (name: string) => `PARAM0${name}0PARAM`
  const given = { ...params, ...Object.fromEntries(placeholders.map((name) => [name, marker(name)])) }
  return placeholders.reduce((line, name) => line.replaceAll(marker(name), `<${name}>`), commandFor(action, given, lab))
}
