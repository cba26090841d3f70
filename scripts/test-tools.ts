// `npm test`'s first step (also `npm run test:tools`): the programs the tests run are installed and the tools made in
// .tools/ are made, or the exact commands are printed and this exits 1 before any test runs. The lists live in
// scripts/lib/tools.ts.
//   --dry-run   say what would be installed and made, and run nothing
import { parseCommandLine } from '../demo-server/src/launch.ts'
import { MADE_TOOLS, TEST_TOOLS, inspectTools, installTools, madeToolDir, planTools, thisMachine } from './lib/tools.ts'

const { values } = parseCommandLine('npm run test:tools', { 'dry-run': { type: 'boolean', default: false } }, 'npm run test:tools -- [--dry-run]')
const machine = thisMachine()
const { missing, make } = inspectTools()
const plan = planTools(missing, make, machine)
const madeTools = () => MADE_TOOLS.map((tool) => tool.check(madeToolDir(tool), process.env)).join('; ')

if (plan.commands.length === 0) {
  console.log(`test tools: all present (${TEST_TOOLS.map((t) => t.deb).join(', ')}; ${madeTools()})`)
  process.exit(0)
}
const wanted = [...missing.map((t) => `${t.deb} (${t.why})`), ...make.map(({ tool, dir }) => `${tool.name} ${tool.made} into ${dir} (${tool.why})`)]
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
  installTools(plan, machine)
} catch (error) {
  console.error(`test tools: installing failed: ${(error as Error).message}`)
  process.exit(1)
}
const after = inspectTools()
if (after.missing.length > 0 || after.make.length > 0) {
  const still = [...after.missing.map((t) => t.deb), ...after.make.map(({ tool, dir }) => `${tool.name} in ${dir} (${tool.hint(dir)})`)]
  console.error(`test tools: still missing after installing: ${still.join(', ')}`)
  process.exit(1)
}
console.log(`test tools: ready (${madeTools()})`)
