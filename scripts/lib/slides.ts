// The deck as the demo tools read it: its slides in order (Slidev's own parser, `src:` imports resolved), which catalog
// actions each slide shows, and the time its speaker note plans for it (`[120 s]`). The rehearsal runs the steps in this
// order and weighs their time against these plans; the deck tests check the same ids — one reader for both.
import { join, relative } from 'node:path'
import { load } from '@slidev/parser/fs'
import { policyStep } from '../../demo-server/src/catalog/policySteps.ts'
import { REPO_ROOT } from '../../demo-server/src/manifests.ts'
import { deckEntry } from './deckEntry.ts'

/** The components that name the catalog, and the attribute each names it by. */
export type ActionComponent = 'LiveRun' | 'ProbeMatrix' | 'PolicyStep' | 'FlowLog'

export interface ActionUse {
  component: ActionComponent
  attribute: string
  /** the id as written on the slide (a policy step's id for <PolicyStep>) */
  id: string
  /** the catalog action the component runs: a policy step counts as its apply action (undefined: names no step) */
  action: string | undefined
}

export interface DeckSlide {
  /** 1-based, as Slidev numbers slides (the URL /N) */
  no: number
  /** the file the slide comes from, relative to the repository (pages/61-demo-dev1.md) */
  file: string
  title: string
  /** seconds the speaker note plans for the slide (the sum of its `[N s]` marks); undefined when it plans none */
  seconds: number | undefined
  /** part of the live demo (its page is a `-demo-` page), not of the talk before it */
  demo: boolean
  /** a backup slide for questions (its page is a `-backup-` page): reached by its route, outside both parts' time */
  backup: boolean
  /** after both parts (a `9x-` page: the questions, the closing slide): outside both parts' time */
  after: boolean
  /** hidden or disabled: not shown, not exported */
  hidden: boolean
  /** the catalog actions the slide shows, in the order they appear on it */
  uses: ActionUse[]
  /** the slide's markdown (before the preparser), for checks on what it says */
  content: string
  /** the speaker note as written ('' when the slide has none) */
  note: string
  /** the slide's frontmatter (its `routeAlias`, `layout`, …) */
  frontmatter: Record<string, unknown>
}

/** The assessment's demo: 30 minutes. */
export const DEMO_BUDGET_SECONDS = 30 * 60
/** The assessment's presentation: 15 minutes. */
export const PRESENTATION_BUDGET_SECONDS = 15 * 60

/**
 * What the notes may plan, so that the talk can breathe: each part keeps slack for a question or a slow step (the
 * presentation 60 s of its 900, the demo 120 s of its 1,800), the presentation's notes hold at most 2,100 spoken
 * words, and no slide asks for more than 160 words a minute (a calm speaking pace; 180 already sounds rushed).
 */
export const TIME_LIMITS = {
  presentationSeconds: PRESENTATION_BUDGET_SECONDS - 60,
  demoSeconds: DEMO_BUDGET_SECONDS - 120,
  presentationWords: 2100,
  wordsPerMinute: 160,
} as const

const TAG = /<(LiveRun|ProbeMatrix|PolicyStep|FlowLog)\b([^>]*)>/g
const attribute = (attrs: string, name: string): string | undefined => new RegExp(`\\b${name}="([^"]*)"`).exec(attrs)?.[1]
const PLANNED = /\[(\d+)\s?s\]/g

/**
 * Every `<LiveRun action="…">`, `<ProbeMatrix action="…">`, `<FlowLog action="…">` and `<PolicyStep step="…">` of a
 * markdown text, in order. `<PolicyStep … flows="id">` draws a `<FlowLog action="id">` above its Apply button: the
 * flow log counts first (it watches while the step is applied).
 */
export function actionUses(text: string): ActionUse[] {
  return [...text.matchAll(TAG)].flatMap((m): ActionUse[] => {
    const component = m[1] as ActionComponent
    const attrs = m[2]!
    if (component === 'PolicyStep') {
      const step = attribute(attrs, 'step')
      const flows = attribute(attrs, 'flows')
      return [
        ...(flows !== undefined ? [{ component: 'FlowLog' as const, attribute: 'action', id: flows, action: flows }] : []),
        ...(step !== undefined ? [{ component, attribute: 'step', id: step, action: policyStep(step)?.apply }] : []),
      ]
    }
    const id = attribute(attrs, 'action')
    return id === undefined ? [] : [{ component, attribute: 'action', id, action: id }]
  })
}

/** A note's time checkpoint: `⏱ 4:10` (where the part's clock should be when the slide ends). */
const CHECKPOINT = /⏱\s*\d+:\d{2}/g
/** Slidev's click markers in a note: `[click]`, `[click:3]`. */
const CLICK_MARK = /\[click(?::\d+)?\]/g

/**
 * What the presenter says on a slide: the note before its `Sources:` (read, never spoken), without the planned time,
 * the checkpoint, the click markers and markdown emphasis.
 */
export function spokenText(note: string | undefined): string {
  const body = (note ?? '').split(/^\s*Sources?:/m)[0] ?? ''
  return body.replace(PLANNED, ' ').replace(CHECKPOINT, ' ').replace(CLICK_MARK, ' ').replace(/[*_`]/g, '')
}

/** Words the presenter says on a slide: tokens of the spoken text with a letter or a digit in them. */
export function spokenWords(note: string | undefined): number {
  return spokenText(note).split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w)).length
}

/**
 * The code files a slide includes with Slidev's `<<< @/snippets/x.yaml` line (optionally `#region`, a language, `{meta}`),
 * as paths relative to the repository (`@/` is the repository root). The pattern is Slidev 52's own (its snippet
 * transform), so what this finds is what Slidev includes.
 */
export function snippetIncludes(text: string): string[] {
  return [...text.matchAll(/^<<<[ \t]*(\S.*?)(#[\w-]+)?[ \t]*(?:[ \t](\S+?))?[ \t]*(\{.*)?$/gm)].map((m) => m[1]!.replace(/^@\//, ''))
}

/** Seconds a speaker note plans (`[70 s]` marks, summed); undefined when it has none. */
export function plannedSeconds(note: string | undefined): number | undefined {
  const marks = [...(note ?? '').matchAll(PLANNED)].map((m) => Number(m[1]))
  return marks.length > 0 ? marks.reduce((a, b) => a + b, 0) : undefined
}

/** The deck's slides in order, read by Slidev's parser from `entry` (relative to `root`; default: the order chosen by
 * DECK_ENTRY, else slides.md). */
export async function readDeck(root: string = REPO_ROOT, entry: string = deckEntry()): Promise<DeckSlide[]> {
  const data = await load(root, join(root, entry))
  return data.slides.map((slide) => {
    const file = relative(root, slide.source?.filepath ?? join(root, entry))
    const frontmatter = (slide.frontmatter ?? {}) as Record<string, unknown> & { hide?: unknown; disabled?: unknown }
    return {
      no: slide.index + 1,
      file,
      title: (slide.title ?? '').replace(/<[^>]+>/g, '').trim(),
      seconds: plannedSeconds(slide.note),
      demo: /(^|\/)[^/]*-demo-[^/]*$/.test(file),
      backup: /(^|\/)[^/]*-backup-[^/]*$/.test(file),
      after: /(^|\/)9\d-[^/]*$/.test(file),
      hidden: Boolean(frontmatter.hide || frontmatter.disabled),
      uses: actionUses(slide.content),
      content: slide.content,
      note: slide.note ?? '',
      frontmatter,
    }
  })
}

/** The actions the shown slides run, in slide order, each once (its first slide); unknown policy steps left out. */
export function actionOrder(slides: readonly DeckSlide[]): Array<{ action: string; slide: DeckSlide }> {
  const seen = new Set<string>()
  const out: Array<{ action: string; slide: DeckSlide }> = []
  for (const slide of slides) {
    if (slide.hidden) continue
    for (const use of slide.uses) {
      if (!use.action || seen.has(use.action)) continue
      seen.add(use.action)
      out.push({ action: use.action, slide })
    }
  }
  return out
}
