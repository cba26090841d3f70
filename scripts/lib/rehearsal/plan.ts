// What a rehearsal runs: every catalog action the slides show, once, in the order the slides first show it — read from
// the slides (scripts/lib/slides.ts), never from a list of its own. A step that chains another (a policy step's apply
// re-runs its matrix, server-side) carries it: the chained run is that step's output, and it is not run again when a
// later slide shows it. A watch (a `flows` stream, up to minutes long) runs alongside its slide's other steps, as it
// does on stage: started when its slide begins, stopped once they have ended (run.ts).
import type { Catalog } from '../../../demo-server/src/catalog/index.ts'
import type { Action, Lab } from '../../../demo-server/src/catalog/types.ts'
import { shownCommand } from '../../../demo-server/src/runner/shownCommand.ts'
import { isWatch } from '../../../setup/replayRule.ts'
import { baselineSteps } from '../baseline.ts'
import { actionOrder } from '../slides.ts'
import type { DeckSlide } from '../slides.ts'

export interface PlannedStep {
  /** 1-based position in the rehearsal */
  n: number
  action: Action
  /** the slide that first shows it */
  slide: DeckSlide
  /** the action the Runner starts when this one succeeds (`then` of an apply or delete): part of this step */
  then?: string
  /** a watch: it runs alongside the slide's other steps and is stopped when they have ended */
  alongside?: boolean
}


export interface Plan {
  steps: PlannedStep[]
  /** ids on slides that name nothing in the catalog (the deck tests catch these too) */
  problems: string[]
}

export function planRehearsal(slides: readonly DeckSlide[], catalog: Catalog): Plan {
  const problems: string[] = []
  for (const slide of slides.filter((s) => !s.hidden)) {
    for (const use of slide.uses) {
      if (!use.action || !catalog.get(use.action)) problems.push(`slide ${slide.no} (${slide.file}): <${use.component} ${use.attribute}="${use.id}"> names nothing in the catalog`)
    }
  }
  const chained = new Set<string>()
  const steps: PlannedStep[] = []
  for (const { action: id, slide } of actionOrder(slides)) {
    const action = catalog.get(id)
    if (!action || chained.has(id)) continue
    const then = (action.kind === 'apply' || action.kind === 'delete') && action.then ? action.then : undefined
    if (then) chained.add(then)
    steps.push({ n: steps.length + 1, action, slide, ...(then ? { then } : {}), ...(isWatch(action) ? { alongside: true } : {}) })
  }
  return { steps, problems }
}

/** The plan as `--dry-run` prints it: each step with its slide and the command the slide shows, then the restoration. */
export function planLines(plan: Plan, lab: Lab): string[] {
  const width = String(plan.steps.length).length
  const lines = plan.steps.map((s) => `${String(s.n).padStart(width)}/${plan.steps.length}  slide ${String(s.slide.no).padEnd(3)} ${s.action.id}${s.then ? ` → ${s.then}` : ''}${s.alongside ? `   (a watch: runs alongside slide ${s.slide.no}'s other steps, stopped once they have ended)` : ''}\n${' '.repeat(width * 2 + 3)}$ ${shownCommand(s.action, {}, lab)}`)
  const restore = baselineSteps().map((s) => `  $ ${shownCommand(s, {}, lab)}`)
  return [...plan.problems.map((p) => `✘ ${p}`), ...lines, 'then the open baseline, last step first (as before the first step):', ...restore]
}
