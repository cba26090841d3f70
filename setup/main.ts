// The presenter's cockpit, set once per browser: Slidev's presenter layout 2 (the notes down the whole left column,
// the current and next slides on the right) with a wide notes column — the default layout gives the notes a small
// panel under the slide. The presenter can still switch layouts or drag the column (Slidev keeps the choice); only a
// browser that never chose gets these. And the stopwatch starts by itself when the presenter leaves slide 1, if it
// was not started there (README, runbook: "start the clock on slide 1" — T in the presenter view).
import { defineAppSetup } from '@slidev/types'
import { presenterLayout } from '@slidev/client/state/storage.ts'
import { useTimer } from '@slidev/client/composables/useTimer.ts'

export const PRESENTER_LAYOUT_NOTES_COLUMN = 2
export const PRESENTER_NOTES_WIDTH_PX = 620
/** the share of the window's height the current slide takes in the presenter view (the next slide: the rest) */
export const PRESENTER_CURRENT_SHARE = 0.58

/** set in a browser once the deck has given it its presenter defaults (Slidev stores its own keys at start-up) */
const DEFAULTS_GIVEN = 'calico-talk-presenter-defaults'

export default defineAppSetup(({ router }) => {
  if (typeof localStorage === 'undefined') return
  if (localStorage.getItem(DEFAULTS_GIVEN) === null) {
    presenterLayout.value = PRESENTER_LAYOUT_NOTES_COLUMN
    localStorage.setItem('slidev-presenter-notes-width', String(PRESENTER_NOTES_WIDTH_PX))
    // in layout 2 this row is the current slide's (the next slide takes the rest): the current one is the bigger
    localStorage.setItem('slidev-presenter-notes-row-size', String(Math.round(window.innerHeight * PRESENTER_CURRENT_SHARE)))
    localStorage.setItem(DEFAULTS_GIVEN, '1')
  }

  const timer = useTimer()
  router.afterEach((to, from) => {
    const presenting = to.path.startsWith('/presenter/')
    const leftFirst = /^\/presenter\/1\/?$/.test(from.path) && to.path !== from.path
    if (presenting && leftFirst && timer.status.value === 'stopped') timer.resume()
  })
})
