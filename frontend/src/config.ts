/** Build-time configuration (Vite env): the pairs list and the chart the page opens on. */
export const DEFAULT_PAIRS: string[] = (import.meta.env.VITE_PAIRS ?? 'BTCUSDT,ETHUSDT')
  .split(',')
  .map((s: string) => s.trim())
  .filter(Boolean)
export const DEFAULT_SYMBOL: string = DEFAULT_PAIRS[0] ?? 'BTCUSDT'
export const DEFAULT_INTERVAL = '1m' as const
export const CHART_BARS = 5000 // bars the chart holds after load
export const FIRST_BARS = 1000 // bars of the first paint (the page's critical path); the rest follow
