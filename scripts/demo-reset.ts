// npm run demo:reset [-- --dry-run] [-- --context NAME]
// Removes the policy steps (manifests/5*-policy-*.yaml, last step first): dev1 is back to the open baseline and a
// rehearsal can start again. Deletes through client-node's KubernetesObjectApi, like the demo server's `delete`
// actions; a policy that is not there is fine. --dry-run prints the equivalent kubectl lines and touches nothing.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import * as k8s from '@kubernetes/client-node'
import { parseAllDocuments } from 'yaml'
import { POLICY_STEPS } from '../demo-server/src/catalog/demo.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

interface Target {
  file: string
  objects: k8s.KubernetesObject[]
}

export function resetTargets(): Target[] {
  return [...POLICY_STEPS].reverse().map((step) => ({
    file: step.file,
    objects: parseAllDocuments(readFileSync(ROOT + step.file, 'utf8'))
      .map((d) => d.toJS() as k8s.KubernetesObject | null)
      .filter((o): o is k8s.KubernetesObject => o !== null),
  }))
}

const describe = (o: k8s.KubernetesObject) =>
  `${o.kind?.toLowerCase()}.${o.apiVersion?.split('/')[0]}/${o.metadata?.name} -n ${o.metadata?.namespace}`

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const dryRun = args.includes('--dry-run')
  const ci = args.indexOf('--context')
  const context = ci >= 0 ? args[ci + 1] : undefined
  const unknown = args.filter((a, i) => a !== '--dry-run' && a !== '--context' && !(ci >= 0 && i === ci + 1))
  if (unknown.length > 0 || (ci >= 0 && !context)) {
    console.error('usage: npm run demo:reset [-- --dry-run] [-- --context NAME]')
    process.exit(2)
  }
  const targets = resetTargets()
  if (dryRun) {
    for (const t of targets) {
      console.log(`+ kubectl delete -f ${t.file} --ignore-not-found`)
      for (const o of t.objects) console.log(`    ${describe(o)}`)
    }
    return
  }
  const kc = new k8s.KubeConfig()
  kc.loadFromDefault()
  if (context) kc.setCurrentContext(context)
  if (!kc.getCurrentContext()) {
    console.error('✘ no kubeconfig with a current context: nothing to reset')
    process.exit(1)
  }
  const client = k8s.KubernetesObjectApi.makeApiClient(kc)
  let failed = 0
  for (const t of targets) {
    console.log(`+ kubectl delete -f ${t.file} --ignore-not-found`)
    for (const o of t.objects) {
      try {
        await client.delete(o)
        console.log(`    deleted ${describe(o)}`)
      } catch (e) {
        if (e instanceof k8s.ApiException && e.code === 404) {
          console.log(`    not there ${describe(o)}`)
        } else {
          failed++
          console.error(`    ✘ ${describe(o)}: ${e instanceof Error ? e.message : String(e)}`)
        }
      }
    }
  }
  if (failed > 0) {
    console.error(`✘ ${failed} deletion(s) failed (is the API server reachable? npm run demo:check)`)
    process.exit(1)
  }
  console.log('dev1 is back to the open baseline.')
}

if (import.meta.main) await main()
