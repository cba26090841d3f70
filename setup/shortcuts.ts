// Slidev's shortcuts, plus T: start or pause the talk's stopwatch (the presenter view's clock, shared by every window).
// The clock's own control appears only on hover; a key works with the clicker hand free. The dark-mode key goes: the
// deck is light only (slides.md).
import { defineShortcutsSetup } from '@slidev/types'
import { useTimer } from '@slidev/client/composables/useTimer.ts'

export default defineShortcutsSetup((_nav, base) => {
  const timer = useTimer()
  return [
    ...base.filter((s) => s.name !== 'toggle_dark'),
    { name: 'stopwatch', key: 't', fn: () => timer.toggle() },
  ]
})
