// One catalog action as a slide component sees it: what to draw, how to label it and what to say above it (the one
// rule, replayRule.ts viewOf), whether this copy of the slide may start it, and run / cancel / show the replay.
// <LiveRun>, <ProbeMatrix>, <FlowLog> and <PolicyStep> all read it here.
import { computed, ref, shallowRef, triggerRef, watchEffect } from 'vue'
import type { ComputedRef } from 'vue'
import { useNav, useSlideContext } from '@slidev/client'
import { flowsActions } from '../demo-server/src/catalog/flows.ts'
import type { Run } from '../demo-server/src/protocol.ts'
import { isWatch, viewOf } from './replayRule.ts'
import { useDemoConnection } from './useDemoConnection.ts'

/**
 * The one mark of a settled live component: set on one element the component always draws (its command line, or the
 * matrix's source line) once its step knows what it will show, and named by the component's `data-waitfor`, which
 * Slidev's exporter (and the browser walk) wait for. Exactly one element per component carries it: the exporter's
 * wait is strict, and fails on two.
 */
export const SETTLED_CLASS = 'step-settled'
export const SETTLED_SELECTOR = `.${SETTLED_CLASS}`

/** Only the audience slide and the presenter's current slide may start things; previews and the export just show. */
export function useInteractive(): ComputedRef<boolean> {
  const { isPrintMode } = useNav()
  const { $renderContext } = useSlideContext()
  return computed(() => !isPrintMode.value && ['slide', 'presenter'].includes($renderContext.value))
}

export function useDemoAction(id: string, params?: Record<string, string | number | boolean>) {
  const demo = useDemoConnection()
  const state = demo.action(id)
  const { isPrintMode } = useNav()
  const interactive = useInteractive()
  const entry = computed(() => demo.catalog.value.get(id))
  /** a watch: the catalog declares it a stream (stopping it is how it ends) */
  const watch = flowsActions.some((a) => a.id === id && isWatch(a))
  /** the presenter asked for the last successful run (after a failure) */
  const showReplay = ref(false)
  /** the demo server answers but no cluster does (the export has no cluster by design: it says so elsewhere) */
  const clusterOffline = computed(() => !isPrintMode.value && demo.state.value === 'open' && demo.health.value?.mode === 'offline')
  /** why nothing can run in this window: no demo server, or no cluster behind it */
  const unavailable = computed(() => {
    if (demo.state.value !== 'open') return demo.message.value
    const h = demo.health.value
    return h && h.mode !== 'live' ? h.message : ''
  })

  /** The one rule (replayRule.ts): what is drawn, its label, the notice above it. */
  const view = computed(() => viewOf({
    latest: state.run.value,
    lastSucceeded: state.lastSucceeded.value,
    wantReplay: showReplay.value,
    print: isPrintMode.value,
    offline: clusterOffline.value,
    watch,
    refusal: state.refusal.value,
    unavailable: unavailable.value,
    interactive: interactive.value,
  }))
  /** What is drawn; triggered on every chunk of it (its chunk array grows in place). */
  const shown = shallowRef<Run | null>(null)
  watchEffect(() => {
    shown.value = view.value.shown
    triggerRef(shown)
  })
  const isReplay = computed(() => view.value.replay)
  const label = computed(() => view.value.label)
  const notice = computed(() => view.value.notice)
  const replayAvailable = computed(() => view.value.replayAvailable)
  const running = computed(() => state.run.value?.status === 'running')
  /** what the window knows is final: the server answered, or there is no server to ask */
  const settled = computed(() => state.loaded.value || demo.state.value === 'unconfigured' || demo.state.value === 'closed')
  /** what ran (a replay's too), else what the catalog says will run, with any chosen parameter filled in */
  const shownCommand = computed(() => {
    if (shown.value?.command) return shown.value.command
    const line = entry.value?.shownCommand
    return line && params ? Object.entries(params).reduce((l, [k, v]) => l.replaceAll(`<${k}>`, String(v)), line) : line
  })
  const canRun = computed(() => demo.state.value === 'open')

  const release = (event?: Event) => (event?.currentTarget as HTMLElement | undefined)?.blur() // keep Slidev's keys for navigation
  return {
    id,
    entry,
    watch,
    latest: state.run,
    lastSucceeded: state.lastSucceeded,
    shown,
    isReplay,
    label,
    notice,
    running,
    replayAvailable,
    showReplay,
    settled,
    shownCommand,
    interactive,
    canRun,
    run(event?: Event): void {
      release(event)
      showReplay.value = false
      demo.run(id, params)
    },
    cancel(event?: Event): void {
      release(event)
      demo.cancel(id)
    },
    /** show the last successful run instead of the failed latest one, or back */
    toggleReplay(event?: Event): void {
      release(event)
      showReplay.value = !showReplay.value
    },
  }
}

export type DemoAction = ReturnType<typeof useDemoAction>
