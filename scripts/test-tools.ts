// `npm test`'s first step (also `npm run test:tools`): the programs the tests run are installed, or the exact command
// to install them is printed and this exits 1 before any test runs. The list lives in scripts/lib/tools.ts.
//   --dry-run   say what would be installed and run nothing
import { parseCommandLine } from '../demo-server/src/launch.ts'
import { TEST_TOOLS, bird2Dir, bird2Version, inspectTools, installTools, planTools, thisMachine } from './lib/tools.ts'

const { values } = parseCommandLine('npm run test:tools', { 'dry-run': { type: 'boolean', default: false } }, 'npm run test:tools -- [--dry-run]')
const dir = bird2Dir()
const machine = thisMachine()
const { missing, needBird2 } = inspectTools()
const plan = planTools(missing, needBird2, machine, dir)

if (plan.commands.length === 0) {
  console.log(`test tools: all present (${TEST_TOOLS.map((t) => t.deb).join(', ')}; ${bird2Version()} in ${dir})`)
  process.exit(0)
}
const wanted = [...missing.map((t) => `${t.deb} (${t.why})`), ...(needBird2 ? [`bird2 unpacked into ${dir} (BIRD 2 routers beside BIRD 1.6)`] : [])]
if (plan.instructions) {
  console.error(`test tools missing: ${wanted.join(', ')}\n${plan.instructions}`)
  process.exit(1)
}
if (values['dry-run']) {
  console.log(`test tools: would install ${wanted.join(', ')}`)
  for (const line of plan.commands) console.log(`would run: ${line}`)
  process.exit(0)
}
console.log(`test tools: installing ${wanted.join(', ')}`)
try {
  installTools(plan, machine, dir)
} catch (error) {
  console.error(`test tools: installing failed: ${(error as Error).message}`)
  process.exit(1)
}
const after = inspectTools()
if (after.missing.length > 0 || after.needBird2) {
  const still = [...after.missing.map((t) => t.deb), ...(after.needBird2 ? [`bird2 in ${dir} (does ${dir}/usr/sbin/bird --version run?)`] : [])]
  console.error(`test tools: still missing after installing: ${still.join(', ')}`)
  process.exit(1)
}
console.log(`test tools: ready (${bird2Version()} in ${dir})`)
