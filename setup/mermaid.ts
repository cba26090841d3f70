// Mermaid in the deck's look: the `base` theme (the only one Mermaid lets you recolour) with the deck's ink, rules,
// accent and typeface (styles/index.css), and labels big enough for the back of the room: 18.5 px, so a diagram drawn
// at Slidev scale 0.52 still shows 18.8 px labels at 1080p; a label wraps at 235 px (at 200 it breaks names mid-word).
// A diagram's own classDefs still colour its nodes (Mermaid's parser takes no var(), so they repeat the hexes named in styles/index.css).
import { defineMermaidSetup } from '@slidev/types'

export default defineMermaidSetup(() => ({
  theme: 'base',
  fontFamily: 'InterVariable, ui-sans-serif, system-ui, sans-serif',
  themeVariables: {
    fontFamily: 'InterVariable, ui-sans-serif, system-ui, sans-serif',
    fontSize: '18.5px',
    background: '#ffffff',
    primaryColor: '#f3f4f6',
    primaryTextColor: '#111827',
    primaryBorderColor: '#4b5563',
    secondaryColor: '#ffedd5',
    secondaryTextColor: '#111827',
    secondaryBorderColor: '#c2410c',
    tertiaryColor: '#ffffff',
    tertiaryTextColor: '#111827',
    tertiaryBorderColor: '#9ca3af',
    lineColor: '#4b5563',
    textColor: '#111827',
    mainBkg: '#f3f4f6',
    nodeBorder: '#4b5563',
    clusterBkg: '#fafafa',
    clusterBorder: '#9ca3af',
    titleColor: '#111827',
    edgeLabelBackground: '#ffffff',
    // sequence diagrams
    actorBkg: '#dbeafe',
    actorBorder: '#1d4ed8',
    actorTextColor: '#111827',
    actorLineColor: '#9ca3af',
    signalColor: '#111827',
    signalTextColor: '#111827',
    labelBoxBkgColor: '#ffedd5',
    labelBoxBorderColor: '#c2410c',
    labelTextColor: '#111827',
    noteBkgColor: '#ffedd5',
    noteBorderColor: '#c2410c',
    noteTextColor: '#111827',
    activationBkgColor: '#f3f4f6',
    activationBorderColor: '#4b5563',
  },
  flowchart: { htmlLabels: true, curve: 'basis', padding: 10, nodeSpacing: 36, rankSpacing: 44, wrappingWidth: 235 },
  sequence: { actorFontFamily: 'InterVariable, sans-serif', noteFontFamily: 'InterVariable, sans-serif', messageFontFamily: 'InterVariable, sans-serif' },
}))
