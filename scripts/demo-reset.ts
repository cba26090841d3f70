// npm run demo:reset [-- --dry-run] [-- --context NAME]
// Removes the policy steps, last step first: dev1 is back to the open baseline and a rehearsal can start again. Each
// step is removed by its own delete action (catalog/policySteps.ts), run the way the demo server runs it; a policy
// that is not there is fine. --dry-run prints the equivalent kubectl lines and the objects, and touches nothing.
import { parseArgs } from 'node:util'
import { loadClusterAccess } from '../demo-server/src/kube/cluster.ts'
import { kubectlName, readManifests, REPO_ROOT } from '../demo-server/src/manifests.ts'
import { shownCommand } from '../demo-server/src/runner/shownCommand.ts'
import { baselineSteps, restoreBaseline } from './lib/baseline.ts'

const USAGE = 'usage: npm run demo:reset [-- --dry-run] [-- --context NAME]'

/** The steps' delete actions, last step first (the rehearsal restores the baseline with the same steps). */
export const resetSteps = baselineSteps

function options(): { dryRun: boolean; context?: string } {
  try {
    const { values } = parseArgs({ options: { 'dry-run': { type: 'boolean', default: false }, context: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false })
    if (values.help) {
      console.log(USAGE)
      process.exit(0)
    }
    return { dryRun: values['dry-run'], context: values.context }
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`)
    process.exit(2)
  }
}

async function main(): Promise<void> {
  const { dryRun, context } = options()
  if (dryRun) {
    for (const step of resetSteps()) {
      console.log(`+ ${shownCommand(step, {}, 'kind')}`)
      for (const o of readManifests(REPO_ROOT, step.manifests)) console.log(`    ${kubectlName(o)}${o.metadata.namespace ? ` -n ${o.metadata.namespace}` : ''}`)
    }
    return
  }
  const access = loadClusterAccess(context)
  if (!access.kubeConfig) {
    console.error(`✘ ${access.problem}: nothing to reset`)
    process.exit(1)
  }
  const controller = new AbortController()
  process.once('SIGINT', () => controller.abort())
  const result = await restoreBaseline(access.kubeConfig, {
    signal: controller.signal,
    onStep: (step) => console.log(`+ ${shownCommand(step, {}, 'kind')}`),
    say: (_step, stream, line) => (stream === 'stderr' ? process.stderr.write(`    ✘ ${line}`) : process.stdout.write(`    ${line}`)),
  })
  const failed = result.steps.filter((s) => s.error)
  for (const s of failed) console.error(`    ✘ ${s.step.id}: ${s.error!.message}`)
  if (failed.length > 0) {
    console.error(`✘ ${failed.length} step(s) could not be removed (is the API server reachable? npm run demo:check)`)
    process.exit(1)
  }
  console.log('dev1 is back to the open baseline.')
}

if (import.meta.main) await main()
