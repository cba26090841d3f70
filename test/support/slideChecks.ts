// What the browser walk measures on a slide, in the page (each function is handed to page.evaluate, so it uses nothing
// from outside itself). Every figure is in screen pixels of a 1920 × 1080 window, as a room sees the slide.
//
// The rules, as the deck's style sets them (styles/index.css):
//   text      no text under 18.8 px (0.6 rem on the 980-px canvas); terminal output, commands and the matrix ≥ 23.5 px
//   overlap   no two siblings' painted boxes cross: a box is what an element paints (its border box when it has a
//             background, border or shadow; replaced content; its text, line by line) and everything its children
//             paint, cut where it clips; an element marked `data-overlay` is meant to sit on the others
//   clipping  no code box scrolls or hides text to the right; a policy step's YAML keeps the lines that matter (its
//             selector and rules, marked `data-key`) in view; a live output shows whole lines
//   titles    no heading or title cut with an ellipsis or overflowing its box
//   build-ups what is on screen at one click is at the same place at the next (measured by the text it shows)

export interface SlideProblem {
  check: 'text' | 'overlap' | 'clipping' | 'title' | 'fit'
  what: string
  detail: string
}

export interface TextBox {
  key: string
  x: number
  y: number
  w: number
  h: number
}

/** Runs in the page: every problem of one slide (the slide's root element, `.slidev-page-N`). */
export function measureSlide(arg: { no: number; minPx: number; outputMinPx: number; outputSelector: string; tolerancePx: number }): SlideProblem[] {
  type Rect = { l: number; t: number; r: number; b: number }
  const root = document.querySelector(`.slidev-page-${arg.no}`) as HTMLElement | null
  const problems: SlideProblem[] = []
  if (!root) return [{ check: 'fit', what: 'slide', detail: 'not rendered' }]
  const layout = root.querySelector('.slidev-layout') as HTMLElement | null

  const describe = (el: Element): string => {
    const cls = typeof el.className === 'string' && el.className ? `.${el.className.trim().split(/\s+/).slice(0, 2).join('.')}` : ''
    const text = (el.textContent ?? '').replace(/\s+/g, ' ').trim().slice(0, 48)
    return `<${el.tagName.toLowerCase()}${cls}>${text ? ` "${text}"` : ''}`
  }
  const rectOf = (r: DOMRect): Rect => ({ l: r.left, t: r.top, r: r.right, b: r.bottom })
  const empty = (r: Rect) => r.r - r.l <= 0.5 || r.b - r.t <= 0.5
  const cut = (r: Rect, c: Rect): Rect => ({ l: Math.max(r.l, c.l), t: Math.max(r.t, c.t), r: Math.min(r.r, c.r), b: Math.min(r.b, c.b) })

  /** the element and its ancestors up to the slide are drawn (not display:none, visibility hidden or transparent) */
  const shown = (el: Element): boolean => {
    for (let a: Element | null = el; a && a !== root.parentElement; a = a.parentElement ?? ((a.getRootNode() as ShadowRoot).host ?? null)) {
      const s = getComputedStyle(a)
      if (s.display === 'none' || s.visibility === 'hidden' || Number(s.opacity) === 0) return false
    }
    return true
  }
  /** screen px per CSS px: the slide's scale, or inside a drawing (SVG text, a diagram's HTML labels) its viewBox's */
  const pageScale = root.getBoundingClientRect().width / root.offsetWidth
  const scaleOf = (el: Element): number => {
    const svg = el.closest('svg')
    if (svg) {
      const vb = svg.viewBox.baseVal
      const r = svg.getBoundingClientRect()
      return vb && vb.width > 0 ? r.width / vb.width : pageScale
    }
    return pageScale
  }
  /** child nodes, a shadow root's included (Mermaid draws in one) */
  const kids = (el: Element): Node[] => [...Array.from((el.shadowRoot ?? el).childNodes)]

  // ---- text size ----
  const outputs = new Set<Element>(Array.from(root.querySelectorAll(arg.outputSelector)))
  const inOutput = (el: Element) => { for (let a: Element | null = el; a; a = a.parentElement) if (outputs.has(a)) return true; return false }
  const smallest = new Map<string, { px: number; el: Element; min: number }>()
  const walkText = (el: Element) => {
    if (['STYLE', 'SCRIPT', 'style', 'script', 'TEMPLATE'].includes(el.tagName)) return
    if (el instanceof HTMLElement || el instanceof SVGElement) {
      const own = Array.from(el.childNodes).some((n) => n.nodeType === Node.TEXT_NODE && (n.textContent ?? '').trim())
      if (own && shown(el)) {
        const px = parseFloat(getComputedStyle(el).fontSize) * scaleOf(el)
        const min = inOutput(el) ? arg.outputMinPx : arg.minPx
        if (px > 0 && px < min - 0.05) {
          const key = describe(el)
          const seen = smallest.get(key)
          if (!seen || px < seen.px) smallest.set(key, { px, el, min })
        }
      }
    }
    for (const k of kids(el)) if (k instanceof Element) walkText(k)
  }
  walkText(root)
  for (const [what, s] of smallest) problems.push({ check: 'text', what, detail: `${s.px.toFixed(1)} px < ${s.min} px` })

  // ---- overlap ----
  const inkCache = new Map<Node, Rect[]>()
  const paints = (el: Element, s: CSSStyleDeclaration): boolean => {
    if (el === layout) return false
    if (['IMG', 'CANVAS', 'VIDEO', 'INPUT', 'BUTTON', 'svg'].includes(el.tagName)) return true
    const bg = s.backgroundColor
    const hasBg = bg && bg !== 'transparent' && !/rgba\(.*,\s*0\)$/.test(bg)
    const border = ['Top', 'Right', 'Bottom', 'Left'].some((side) => parseFloat(s.getPropertyValue(`border-${side.toLowerCase()}-width`)) > 0 && s.getPropertyValue(`border-${side.toLowerCase()}-style`) !== 'none')
    return Boolean(hasBg || border || (s.boxShadow && s.boxShadow !== 'none') || s.backgroundImage !== 'none')
  }
  const ink = (node: Node): Rect[] => {
    const hit = inkCache.get(node)
    if (hit) return hit
    let out: Rect[] = []
    if (node.nodeType === Node.TEXT_NODE) {
      if ((node.textContent ?? '').trim() && node.parentElement && shown(node.parentElement)) {
        const range = document.createRange()
        range.selectNodeContents(node)
        // a text box is its line box: a font's content area is taller than a tight line-height, and the next line
        // may start inside it without any letter touching
        const lh = parseFloat(getComputedStyle(node.parentElement).lineHeight) * scaleOf(node.parentElement)
        out = Array.from(range.getClientRects()).map(rectOf).map((r) => {
          const extra = (r.b - r.t) - lh
          return lh > 0 && extra > 0 ? { ...r, t: r.t + extra / 2, b: r.b - extra / 2 } : r
        }).filter((r) => !empty(r))
      }
    } else if (node instanceof Element && shown(node) && !node.hasAttribute('data-overlay')) {
      const s = getComputedStyle(node)
      const box = rectOf(node.getBoundingClientRect())
      // a diagram, a picture: what it paints is its box
      if (node.tagName === 'svg' || node.classList.contains('mermaid') || ['IMG', 'CANVAS'].includes(node.tagName)) out = empty(box) ? [] : [box]
      else {
        // an inline box that wraps paints line by line, not its bounding box
        if (paints(node, s)) out.push(...(s.display === 'inline' ? Array.from(node.getClientRects()).map(rectOf) : [box]).filter((r) => !empty(r)))
        for (const k of kids(node)) out.push(...ink(k))
        if (s.overflowX !== 'visible' || s.overflowY !== 'visible') out = out.map((r) => cut(r, box)).filter((r) => !empty(r))
      }
      if (out.length > 40) out = [out.reduce((a, r) => ({ l: Math.min(a.l, r.l), t: Math.min(a.t, r.t), r: Math.max(a.r, r.r), b: Math.max(a.b, r.b) }))]
    }
    inkCache.set(node, out)
    return out
  }
  const tol = arg.tolerancePx
  const crosses = (a: Rect[], b: Rect[]): Rect | undefined => {
    for (const x of a) for (const y of b) {
      const w = Math.min(x.r, y.r) - Math.max(x.l, y.l)
      const h = Math.min(x.b, y.b) - Math.max(x.t, y.t)
      if (w > tol && h > tol) return { l: Math.max(x.l, y.l), t: Math.max(x.t, y.t), r: Math.min(x.r, y.r), b: Math.min(x.b, y.b) }
    }
    return undefined
  }
  const label = (n: Node) => (n instanceof Element ? describe(n) : `text "${(n.textContent ?? '').trim().slice(0, 40)}"`)
  const overlay = (n: Node) => n instanceof Element && n.hasAttribute('data-overlay')
  const walkOverlap = (el: Element) => {
    if (el.tagName === 'svg' || el.classList.contains('mermaid') || !shown(el)) return
    const children = kids(el).filter((k) => k instanceof Element || (k.nodeType === Node.TEXT_NODE && (k.textContent ?? '').trim()))
    for (let i = 0; i < children.length; i++) {
      for (let j = i + 1; j < children.length; j++) {
        const a = children[i]!
        const b = children[j]!
        if (overlay(a) || overlay(b)) continue
        const x = crosses(ink(a), ink(b))
        if (x) problems.push({ check: 'overlap', what: `${label(a)} × ${label(b)}`, detail: `${Math.round(x.r - x.l)}×${Math.round(x.b - x.t)} px at (${Math.round(x.l)}, ${Math.round(x.t)})` })
      }
    }
    for (const k of children) if (k instanceof Element) walkOverlap(k)
  }
  walkOverlap(root)

  // ---- the slide's own box ----
  if (layout) {
    const box = rectOf(layout.getBoundingClientRect())
    if (layout.scrollHeight > layout.clientHeight + 2) problems.push({ check: 'fit', what: 'slide', detail: `content ${layout.scrollHeight - layout.clientHeight} px taller than the slide` })
    if (layout.scrollWidth > layout.clientWidth + 2) problems.push({ check: 'fit', what: 'slide', detail: `content ${layout.scrollWidth - layout.clientWidth} px wider than the slide` })
    for (const r of ink(root)) {
      if (r.b > box.b + 2 || r.r > box.r + 2) {
        problems.push({ check: 'fit', what: 'content', detail: `painted ${Math.round(Math.max(r.b - box.b, r.r - box.r))} px outside the slide` })
        break
      }
    }
  }

  // ---- code, YAML and output boxes ----
  for (const el of Array.from(root.querySelectorAll<HTMLElement>('pre, .ps-code, [data-testid="output"]'))) {
    if (!shown(el) || el.clientWidth === 0) continue
    const live = el.matches('[data-testid="output"]')
    const yaml = el.matches('.ps-code')
    if (el.scrollWidth > el.clientWidth + 2) problems.push({ check: 'clipping', what: describe(el), detail: `${el.scrollWidth - el.clientWidth} px of text hidden to the right` })
    // a policy step's YAML may scroll, but never over the lines that matter (its selector and rules, `data-key`)
    if (yaml) {
      const box = el.getBoundingClientRect()
      const hidden = Array.from(el.querySelectorAll<HTMLElement>('[data-key]')).filter((l) => shown(l)).filter((l) => {
        const r = l.getBoundingClientRect()
        return r.top < box.top - 1 || r.bottom > box.bottom + 1
      })
      if (hidden.length) problems.push({ check: 'clipping', what: describe(el), detail: `${hidden.length} of the lines that matter out of view, e.g. "${(hidden[0]!.textContent ?? '').trim()}"` })
    }
    if (!live && !yaml && !el.closest('.ps-code') && el.scrollHeight > el.clientHeight + 2) problems.push({ check: 'clipping', what: describe(el), detail: `scrolls: ${el.scrollHeight - el.clientHeight} px of lines below the fold` })
    if (live && el.scrollHeight > el.clientHeight + 2) {
      const s = getComputedStyle(el)
      const inner = el.clientHeight - parseFloat(s.paddingTop) - parseFloat(s.paddingBottom)
      const line = parseFloat(s.lineHeight)
      const rest = inner - Math.round(inner / line) * line
      if (line > 0 && Math.abs(rest) > 1) problems.push({ check: 'clipping', what: describe(el), detail: `shows ${(inner / line).toFixed(2)} lines: a line is cut at the bottom` })
      // a box that scrolls paints its next line into its bottom padding: a sliver of a line under the last whole one
      else if (parseFloat(s.paddingBottom) > 1) problems.push({ check: 'clipping', what: describe(el), detail: `the next line shows cut in its ${s.paddingBottom} bottom padding` })
    }
  }

  // ---- titles ----
  for (const el of Array.from(root.querySelectorAll<HTMLElement>('*'))) {
    if (!shown(el) || el.clientWidth === 0) continue
    const s = getComputedStyle(el)
    const heading = /^H[1-3]$/.test(el.tagName)
    if ((s.textOverflow === 'ellipsis' || heading) && el.scrollWidth > el.clientWidth + 1) problems.push({ check: 'title', what: describe(el), detail: `cut: ${el.scrollWidth - el.clientWidth} px of it not shown` })
  }
  return problems
}

/** Runs in the page: where each piece of text of the slide is drawn (key: its text and its order among equal texts). */
export function textBoxes(no: number): TextBox[] {
  const root = document.querySelector(`.slidev-page-${no}`)
  if (!root) return []
  const out: TextBox[] = []
  const seen = new Map<string, number>()
  const visible = (el: Element): boolean => {
    for (let a: Element | null = el; a && a !== root.parentElement; a = a.parentElement ?? ((a.getRootNode() as ShadowRoot).host ?? null)) {
      const s = getComputedStyle(a)
      if (s.display === 'none' || s.visibility === 'hidden' || Number(s.opacity) < 0.05) return false
    }
    return true
  }
  const walk = (el: Element) => {
    const own = Array.from(el.childNodes).filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.textContent ?? '').join('').replace(/\s+/g, ' ').trim()
    if (own && visible(el)) {
      const r = el.getBoundingClientRect()
      if (r.width > 0 && r.height > 0) {
        const base = `${el.tagName.toLowerCase()} "${own.slice(0, 60)}"`
        const n = (seen.get(base) ?? 0) + 1
        seen.set(base, n)
        out.push({ key: n > 1 ? `${base} #${n}` : base, x: r.left, y: r.top, w: r.width, h: r.height })
      }
    }
    for (const k of Array.from((el.shadowRoot ?? el).children)) walk(k)
  }
  walk(root)
  return out
}
