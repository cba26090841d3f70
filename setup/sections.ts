// The deck's sections, read from its slide order: a divider slide (`layout: section` with `part: <title>` or
// `topic: <title>` in its frontmatter) opens a part (the demo, the presentation) or a topic inside the part; a slide
// with `section: <title>` opens an unnumbered stretch of its part without a divider (the lab, the challenges, the
// questions). Numbers are counted, never written: the order of the parts can change (demo first or presentation first) and every divider and
// footer follows. No Vue, no Slidev: the deck's layouts and the tests read it as it is.

export type SectionKind = 'part' | 'topic' | 'section'

export interface SectionMark {
  kind: SectionKind
  title: string
  /** parts are counted through the deck; topics inside their part, from 1; a `section:` stretch has none (0) */
  number: number
  /** 1-based slide number of the divider */
  slide: number
}

export interface SlideSection {
  part?: SectionMark
  topic?: SectionMark
  /** the slide is a divider itself */
  divider?: SectionMark
}

/** The divider a slide's frontmatter declares, if any. */
export function dividerOf(frontmatter: Record<string, unknown> | undefined): { kind: 'part' | 'topic'; title: string } | undefined {
  if (!frontmatter || frontmatter.layout !== 'section') return undefined
  if (typeof frontmatter.part === 'string') return { kind: 'part', title: frontmatter.part }
  if (typeof frontmatter.topic === 'string') return { kind: 'topic', title: frontmatter.topic }
  return undefined
}

/** Each slide's part and topic, in slide order (index i is slide i + 1). */
export function sectionsOf(frontmatters: ReadonlyArray<Record<string, unknown> | undefined>): SlideSection[] {
  let part: SectionMark | undefined
  let topic: SectionMark | undefined
  let parts = 0
  let topics = 0
  return frontmatters.map((fm, i) => {
    const d = dividerOf(fm)
    if (d?.kind === 'part') {
      part = { ...d, number: ++parts, slide: i + 1 }
      topic = undefined
      topics = 0
      return { part, divider: part }
    }
    if (d?.kind === 'topic') {
      topic = { ...d, number: ++topics, slide: i + 1 }
      return { part, topic, divider: topic }
    }
    if (typeof fm?.section === 'string' && fm.section !== topic?.title) topic = { kind: 'section', title: fm.section, number: 0, slide: i + 1 }
    return { part, topic }
  })
}

/** What the footer says: "Part 2 · Presentation › 3 Securing". */
export function sectionLabel(s: SlideSection): string {
  const part = s.part ? `Part ${s.part.number} · ${s.part.title}` : ''
  const topic = s.topic ? (s.topic.number ? `${s.topic.number} ${s.topic.title}` : s.topic.title) : ''
  return [part, topic].filter(Boolean).join(' › ')
}
