// npm run demo:check [-- --context NAME] [--summary] — the preflight checklist, 5 minutes before the talk.
// Prints ✔ / ✘ / – per check with the fix for each ✘ (--summary: one short line per check, as the slide shows it);
// exits 1 if any check failed, 2 on bad usage.
// It changes one thing in the cluster: a CalicoNodeStatus per node, if missing (bgp/nodeStatus.ts), so calico-node
// reports its BGP sessions; they stay for the BGP slide.
import { parseArgs } from 'node:util'
import { runHostProgram } from '../demo-server/src/host/programs.ts'
import { loadClusterAccess } from '../demo-server/src/kube/cluster.ts'
import { formatChecklist, formatChecklistSummary, runPreflight } from '../demo-server/src/preflight.ts'

const USAGE = 'usage: npm run demo:check [-- --context NAME] [--summary]'

function options(): { context?: string; summary: boolean } {
  try {
    const { values } = parseArgs({ options: { context: { type: 'string' }, summary: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false })
    if (values.help) {
      console.log(USAGE)
      process.exit(0)
    }
    return { context: values.context, summary: Boolean(values.summary) }
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`)
    process.exit(2)
  }
}

async function main(): Promise<void> {
  const { context, summary } = options()
  const access = loadClusterAccess(context)
  if (!access.kubeConfig) {
    console.error(`✘ ${access.problem}`)
    process.exit(1)
  }
  // Ctrl-C ends every read, the wait for calico-node's reports and the host commands
  const controller = new AbortController()
  process.once('SIGINT', () => controller.abort())
  const { signal } = controller
  const checks = await runPreflight(access.kubeConfig, { signal, runHost: (argv) => runHostProgram(argv, { signal, timeoutMs: 10_000 }) }).catch((error: unknown) => {
    if (!signal.aborted) throw error
    console.error('✘ cancelled')
    process.exit(130)
  })
  console.log((summary ? formatChecklistSummary : formatChecklist)(checks, Boolean(process.stdout.isTTY)))
  process.exit(checks.some((c) => c.status === 'fail') ? 1 : 0)
}

if (import.meta.main) await main()
