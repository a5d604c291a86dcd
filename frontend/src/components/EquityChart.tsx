/** A small area chart of equity over time (lightweight-charts v5, AreaSeries). */
import { useEffect, useRef } from 'react'
import { AreaSeries, ColorType, createChart, type IChartApi, type ISeriesApi, type UTCTimestamp } from 'lightweight-charts'

export function EquityChart({ points, height = 140 }: { points: { time: number; equity: number }[]; height?: number }) {
  const el = useRef<HTMLDivElement>(null)
  const api = useRef<{ chart: IChartApi; s: ISeriesApi<'Area'> } | null>(null)
  useEffect(() => {
    if (!el.current) return
    const chart = createChart(el.current, {
      autoSize: true,
      layout: { background: { type: ColorType.Solid, color: '#131722' }, textColor: '#b2b5be', fontSize: 10, attributionLogo: false },
      grid: { vertLines: { visible: false }, horzLines: { color: '#1e222d' } },
      timeScale: { timeVisible: true, borderColor: '#2a2e39' },
      rightPriceScale: { borderColor: '#2a2e39' },
      handleScroll: false,
      handleScale: false,
    })
    const s = chart.addSeries(AreaSeries, { lineColor: '#2196f3', topColor: 'rgba(33,150,243,0.35)', bottomColor: 'rgba(33,150,243,0.02)', lineWidth: 2, priceLineVisible: false })
    api.current = { chart, s }
    return () => {
      chart.remove()
      api.current = null
    }
  }, [])
  useEffect(() => {
    if (!api.current) return
    // one point per second at most, strictly increasing (the library requires it)
    const data: { time: UTCTimestamp; value: number }[] = []
    for (const p of [...points].sort((a, b) => a.time - b.time)) {
      const t = Math.floor(p.time / 1000) as UTCTimestamp
      const last = data[data.length - 1]
      if (last && last.time === t) last.value = p.equity
      else data.push({ time: t, value: p.equity })
    }
    api.current.s.setData(data)
    api.current.chart.timeScale().fitContent()
  }, [points])
  return <div ref={el} style={{ height }} data-testid="equity-chart" />
}
