/**
 * The main chart: candles + volume, EMA 20/50, Bollinger 20/2 and VWAP overlays, RSI(14) and
 * MACD(12,26,9) panes, trade markers, stop/target price lines. Bars load once per symbol+interval
 * with setData; live bars use update() so the chart stays responsive with 50,000 bars. Indicators
 * are recomputed from the whole bar array on each live bar and only their last point is updated.
 */
import { useEffect, useRef, useState } from 'react'
import {
  CandlestickSeries,
  ColorType,
  CrosshairMode,
  HistogramSeries,
  LineSeries,
  createChart,
  createSeriesMarkers,
  type IChartApi,
  type IPriceLine,
  type ISeriesApi,
  type ISeriesMarkersPluginApi,
  type Time,
  type UTCTimestamp,
} from 'lightweight-charts'
import { Engine, ApiError } from '../api/client'
import type { LiveFeed } from '../api/cable'
import { foldInto, intervalSeconds, isInterval, mergeBar, toBar, type Interval } from '../lib/bars'
import { candlePoints, markers, overlays, points, volumePoints, DOWN, UP, type TradeMark } from '../lib/chartData'
import { vwap, type OHLCV } from '../lib/indicators'
import { recordBar, tb } from '../hooks'
import { CHART_BARS, FIRST_BARS } from '../config'

interface Props {
  symbol: string
  interval: Interval
  feed: LiveFeed
  marks: TradeMark[]
  levels: { price: number; title: string; color: string }[]
  show: { ema: boolean; bb: boolean; vwap: boolean }
}

interface SeriesSet {
  candles: ISeriesApi<'Candlestick'>
  volume: ISeriesApi<'Histogram'>
  ema20: ISeriesApi<'Line'>
  ema50: ISeriesApi<'Line'>
  bbUpper: ISeriesApi<'Line'>
  bbMiddle: ISeriesApi<'Line'>
  bbLower: ISeriesApi<'Line'>
  vwap: ISeriesApi<'Line'>
  rsi: ISeriesApi<'Line'>
  macd: ISeriesApi<'Line'>
  macdSignal: ISeriesApi<'Line'>
  macdHist: ISeriesApi<'Histogram'>
  markers: ISeriesMarkersPluginApi<Time>
}

const line = (color: string, width: 1 | 2 = 1) => ({ color, lineWidth: width, priceLineVisible: false, lastValueVisible: false, crosshairMarkerVisible: false })

function build(el: HTMLElement): { chart: IChartApi; s: SeriesSet } {
  const chart = createChart(el, {
    autoSize: true,
    layout: { background: { type: ColorType.Solid, color: '#131722' }, textColor: '#b2b5be', fontSize: 11, panes: { separatorColor: '#2a2e39' } },
    grid: { vertLines: { color: '#1e222d' }, horzLines: { color: '#1e222d' } },
    crosshair: { mode: CrosshairMode.Normal },
    timeScale: { timeVisible: true, secondsVisible: false, borderColor: '#2a2e39' },
    rightPriceScale: { borderColor: '#2a2e39' },
  })
  const candles = chart.addSeries(CandlestickSeries, { upColor: UP, downColor: DOWN, borderVisible: false, wickUpColor: UP, wickDownColor: DOWN })
  const volume = chart.addSeries(HistogramSeries, { priceFormat: { type: 'volume' }, priceScaleId: 'vol', lastValueVisible: false, priceLineVisible: false })
  volume.priceScale().applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } })
  const s: SeriesSet = {
    candles,
    volume,
    ema20: chart.addSeries(LineSeries, line('#f5c542', 1)),
    ema50: chart.addSeries(LineSeries, line('#e040fb', 1)),
    bbUpper: chart.addSeries(LineSeries, line('rgba(33,150,243,0.6)')),
    bbMiddle: chart.addSeries(LineSeries, { ...line('rgba(33,150,243,0.35)'), lineStyle: 2 }),
    bbLower: chart.addSeries(LineSeries, line('rgba(33,150,243,0.6)')),
    vwap: chart.addSeries(LineSeries, line('#00bcd4', 2)),
    rsi: chart.addSeries(LineSeries, { ...line('#b39ddb'), lastValueVisible: true }, 1),
    macd: chart.addSeries(LineSeries, line('#2196f3'), 2),
    macdSignal: chart.addSeries(LineSeries, line('#ff9800'), 2),
    macdHist: chart.addSeries(HistogramSeries, { priceLineVisible: false, lastValueVisible: false }, 2),
    markers: createSeriesMarkers(candles, []),
  }
  s.rsi.createPriceLine({ price: 70, color: '#555', lineWidth: 1, lineStyle: 2, axisLabelVisible: false, title: '' })
  s.rsi.createPriceLine({ price: 30, color: '#555', lineWidth: 1, lineStyle: 2, axisLabelVisible: false, title: '' })
  const panes = chart.panes()
  panes[0]?.setStretchFactor(3)
  panes[1]?.setStretchFactor(1)
  panes[2]?.setStretchFactor(1)
  return { chart, s }
}

type Show = Props['show']

/** setData on every series; a hidden overlay gets no data (set when it is switched on). */
function setAll(s: SeriesSet, bars: OHLCV[], show: Show): void {
  const t0 = performance.now()
  const o = overlays(bars)
  const t1 = performance.now()
  s.candles.setData(candlePoints(bars))
  s.volume.setData(volumePoints(bars))
  setOverlays(s, o, show)
  s.rsi.setData(o.rsi)
  s.macd.setData(o.macd)
  s.macdSignal.setData(o.macdSignal)
  s.macdHist.setData(o.macdHist)
  tb.lastSetAll = { bars: bars.length, overlaysMs: t1 - t0, setDataMs: performance.now() - t1 }
}

function setOverlays(s: SeriesSet, o: ReturnType<typeof overlays>, show: Show): void {
  const off: [] = []
  s.ema20.setData(show.ema ? o.ema20 : off)
  s.ema50.setData(show.ema ? o.ema50 : off)
  s.bbUpper.setData(show.bb ? o.bbUpper : off)
  s.bbMiddle.setData(show.bb ? o.bbMiddle : off)
  s.bbLower.setData(show.bb ? o.bbLower : off)
  s.vwap.setData(show.vwap ? o.vwap : off)
}

function updateLast(s: SeriesSet, bars: OHLCV[], show: Show): void {
  const b = bars[bars.length - 1]
  if (!b) return
  const t = b.time as UTCTimestamp
  s.candles.update({ time: t, open: b.open, high: b.high, low: b.low, close: b.close })
  s.volume.update(volumePoints([b])[0]!)
  // Indicators on the tail only: 400 bars is ample warm-up for EMA50/MACD/RSI14 to settle at the last point.
  const tail = bars.slice(-400)
  const o = overlays(tail)
  const last = <T extends { time: UTCTimestamp }>(pts: T[]): T | undefined => {
    const p = pts[pts.length - 1]
    return p && p.time === t ? p : undefined
  }
  type Pair = [ISeriesApi<'Line'>, { time: UTCTimestamp; value: number } | undefined]
  const emaPairs: Pair[] = show.ema ? [[s.ema20, last(o.ema20)], [s.ema50, last(o.ema50)]] : []
  const bbPairs: Pair[] = show.bb ? [[s.bbUpper, last(o.bbUpper)], [s.bbMiddle, last(o.bbMiddle)], [s.bbLower, last(o.bbLower)]] : []
  const pairs: Pair[] = [
    ...emaPairs,
    ...bbPairs,
    [s.rsi, last(o.rsi)],
    [s.macd, last(o.macd)],
    [s.macdSignal, last(o.macdSignal)],
  ]
  for (const [series, p] of pairs) if (p) series.update(p)
  const h = last(o.macdHist)
  if (h) s.macdHist.update(h)
  if (!show.vwap) return
  // VWAP resets at each UTC day: compute it from the first bar of the last bar's day.
  const dayStart = Math.floor(b.time / 86400) * 86400
  let i = bars.length - 1
  while (i > 0 && bars[i - 1]!.time >= dayStart) i--
  const v = last(points(bars.slice(i), vwap(bars.slice(i))))
  if (v) s.vwap.update(v)
}

export function MainChart({ symbol, interval, feed, marks, levels, show }: Props) {
  const el = useRef<HTMLDivElement>(null)
  const api = useRef<{ chart: IChartApi; s: SeriesSet } | null>(null)
  const bars = useRef<OHLCV[]>([])
  const lines = useRef<IPriceLine[]>([])
  const showRef = useRef(show)
  showRef.current = show
  const [status, setStatus] = useState<string>('loading')
  const [legend, setLegend] = useState<OHLCV | null>(null)

  useEffect(() => {
    if (!el.current) return
    const built = build(el.current)
    api.current = built
    built.chart.subscribeCrosshairMove((p) => {
      const d = p.seriesData.get(built.s.candles) as { open: number; high: number; low: number; close: number } | undefined
      if (d && p.time !== undefined) setLegend({ time: p.time as number, ...d, volume: 0 })
      else setLegend(null)
    })
    tb.bars = () => bars.current.length
    tb.lastBar = () => bars.current[bars.current.length - 1] ?? null
    tb.visibleRange = () => {
      const r = built.chart.timeScale().getVisibleLogicalRange()
      return r ? { from: r.from, to: r.to } : null
    }
    tb.setBars = (next: OHLCV[]) => {
      const t0 = performance.now()
      tb.detached = true
      bars.current = next
      setAll(built.s, next, showRef.current)
      return performance.now() - t0
    }
    return () => {
      tb.setBars = null
      tb.chartReady = false
      built.chart.remove()
      api.current = null
    }
  }, [])

  // Load history once per symbol+interval.
  useEffect(() => {
    let cancelled = false
    tb.chartReady = false
    window.__chartReady = false
    tb.symbol = symbol
    tb.interval = interval
    setStatus('loading')
    // Two steps: FIRST_BARS for the first paint, then the older history up to CHART_BARS in total
    // (prepended with one more setData; the visible range stays where it was).
    Engine.candles(symbol, interval, FIRST_BARS)
      .then((res) => {
        if (cancelled || !api.current) return
        bars.current = res.candles.map((c) => toBar(c as unknown as Record<string, unknown>))
        setAll(api.current.s, bars.current, showRef.current)
        const n = bars.current.length
        if (n > 300) api.current.chart.timeScale().setVisibleLogicalRange({ from: n - 300, to: n + 5 })
        else api.current.chart.timeScale().fitContent()
        setStatus(n ? '' : 'no candles for this symbol/interval')
        tb.chartReady = true
        window.__chartReady = true
        const first = bars.current[0]
        if (!first || n < FIRST_BARS) return
        return Engine.candles(symbol, interval, CHART_BARS - n, new Date(first.time * 1000).toISOString()).then((older) => {
          if (cancelled || !api.current || tb.detached) return
          const head = bars.current[0]
          const prepend = older.candles.map((c) => toBar(c as unknown as Record<string, unknown>)).filter((b) => head && b.time < head.time)
          if (!prepend.length) return
          const range = api.current.chart.timeScale().getVisibleLogicalRange()
          bars.current = [...prepend, ...bars.current]
          setAll(api.current.s, bars.current, showRef.current)
          if (range) api.current.chart.timeScale().setVisibleLogicalRange({ from: range.from + prepend.length, to: range.to + prepend.length })
        })
      })
      .catch((e: unknown) => {
        if (!cancelled) setStatus(e instanceof ApiError ? `candles: ${e.status} ${e.message}` : String(e))
      })
    return () => {
      cancelled = true
    }
  }, [symbol, interval])

  // Live bars: same interval drawn as is; a finer interval (the trader's 1m) is folded into the bucket.
  // Stream ids only grow, so an id at or below the last one applied is a repeat (relay resume).
  // A bar OLDER than the chart's last bar with a NEWER id means the engine's clock is behind the
  // loaded history (a replay of stored data): the chart rewinds to the live bar, once, and then
  // follows it; history older than the loaded window is fetched with `end`.
  useEffect(() => {
    const step = intervalSeconds(interval)
    let lastId = ''
    let pending: OHLCV[] | null = null // live bars held while history is refetched
    const newer = (a: string, b: string) => {
      const [am, as] = a.split('-').map(Number)
      const [bm, bs] = b.split('-').map(Number)
      return am! > bm! || (am === bm && as! > bs!)
    }
    const draw = (bar: OHLCV, id: string) => {
      const chart = api.current
      if (!chart) return
      if (evStepOf(bar) < step) {
        const last = bars.current[bars.current.length - 1]
        bar = foldInto(last && last.time === Math.floor(bar.time / step) * step ? last : undefined, bar, interval)
      }
      const merged = mergeBar(bars.current, bar)
      if (merged === 'stale') {
        const first = bars.current[0]
        if (first && bar.time >= first.time) {
          bars.current = bars.current.filter((b) => b.time < bar.time)
          bars.current.push(bar)
          setAll(chart.s, bars.current, showRef.current)
          if (bars.current.length < 300) chart.chart.timeScale().fitContent()
          else chart.chart.timeScale().scrollToRealTime()
        } else {
          pending = [bar]
          Engine.candles(symbol, interval, CHART_BARS, new Date(bar.time * 1000).toISOString())
            .then((res) => {
              if (!api.current) return
              bars.current = res.candles.map((c) => toBar(c as unknown as Record<string, unknown>))
              setAll(api.current.s, bars.current, showRef.current)
              const queued = pending ?? []
              pending = null
              for (const b of queued) draw(b, id)
              api.current.chart.timeScale().scrollToRealTime()
            })
            .catch(() => {
              pending = null
            })
          return
        }
      } else updateLast(chart.s, bars.current, showRef.current)
      recordBar({ id, symbol, interval, time: bar.time, close: bar.close, at: Date.now() })
    }
    const fine = new WeakMap<OHLCV, number>()
    const evStepOf = (b: OHLCV) => fine.get(b) ?? step
    return feed.onEvent((ev) => {
      if (ev.type !== 'bar' || ev.symbol !== symbol || !api.current || tb.detached || !isInterval(ev.data.interval)) return
      const evStep = intervalSeconds(ev.data.interval)
      if (evStep > step || step % evStep !== 0) return
      if (ev.id && lastId && !newer(ev.id, lastId)) return
      if (ev.id) lastId = ev.id
      let bar: OHLCV
      try {
        bar = toBar(ev.data as unknown as Record<string, unknown>)
      } catch {
        return
      }
      fine.set(bar, evStep)
      if (pending) {
        pending.push(bar)
        return
      }
      draw(bar, ev.id)
    })
  }, [feed, symbol, interval])

  useEffect(() => {
    const s = api.current?.s
    if (!s) return
    s.ema20.applyOptions({ visible: show.ema })
    s.ema50.applyOptions({ visible: show.ema })
    for (const x of [s.bbUpper, s.bbMiddle, s.bbLower]) x.applyOptions({ visible: show.bb })
    s.vwap.applyOptions({ visible: show.vwap })
    if (bars.current.length) setOverlays(s, overlays(bars.current), show)
  }, [show.ema, show.bb, show.vwap])

  useEffect(() => {
    const s = api.current?.s
    if (!s) return
    s.markers.setMarkers(markers(marks, intervalSeconds(interval), bars.current[0]?.time))
  }, [marks, interval, status])

  useEffect(() => {
    const s = api.current?.s
    if (!s) return
    for (const l of lines.current) s.candles.removePriceLine(l)
    lines.current = levels.map((l) => s.candles.createPriceLine({ price: l.price, color: l.color, lineWidth: 1, lineStyle: 2, axisLabelVisible: true, title: l.title }))
  }, [levels])

  return (
    <div className="chart-wrap">
      <div className="chart-legend">
        <span className="sym">{symbol}</span> <span className="muted">{interval}</span>
        {legend && (
          <span className="mono">
            {' '}O {legend.open} H {legend.high} L {legend.low} C {legend.close}
          </span>
        )}
        <span className="legend-keys">
          {show.ema && <><i style={{ background: '#f5c542' }} />EMA20 <i style={{ background: '#e040fb' }} />EMA50 </>}
          {show.bb && <><i style={{ background: '#2196f3' }} />BB(20,2) </>}
          {show.vwap && <><i style={{ background: '#00bcd4' }} />VWAP </>}
          <span className="muted">panes: RSI 14 · MACD 12/26/9</span>
        </span>
      </div>
      {status && <div className="chart-status" data-testid="chart-status">{status}</div>}
      <div ref={el} className="chart" data-testid="main-chart" />
    </div>
  )
}
