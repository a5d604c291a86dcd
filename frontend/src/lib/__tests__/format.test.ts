import { describe, expect, it } from 'vitest'
import { money, pct, price, ratio, time, tone } from '../format'
import { candlePoints, overlays, volumePoints } from '../chartData'

describe('format', () => {
  it('formats money, percentages, prices, ratios and UTC times', () => {
    expect(money(1234.5)).toBe('$1,234.50')
    expect(money(-0.22, true)).toBe('-$0.22')
    expect(money(3, true)).toBe('+$3.00')
    expect(money(null)).toBe('—')
    expect(pct(0.0512)).toBe('+5.12%')
    expect(pct(-0.1, false, 1)).toBe('-10.0%')
    expect(price(27250.97)).toBe('27,250.97')
    expect(price(0.123456789)).toBe('0.123457')
    expect(ratio(Infinity)).toBe('∞')
    expect(ratio(null)).toBe('—')
    expect(time(Date.UTC(2023, 2, 23, 3, 20))).toBe('2023-03-23 03:20:00')
    expect([tone(1), tone(-1), tone(0)]).toEqual(['up', 'down', ''])
  })
})

describe('chart data', () => {
  const bars = Array.from({ length: 120 }, (_, i) => ({ time: 60 * i, open: 100 + i, high: 102 + i, low: 99 + i, close: 101 + (i % 7), volume: 1 + i }))
  it('lines up every indicator point with a bar time and skips warm-up', () => {
    const o = overlays(bars)
    const times = new Set(bars.map((b) => b.time))
    for (const series of Object.values(o)) for (const p of series) expect(times.has(p.time)).toBe(true)
    expect(o.ema20).toHaveLength(101)
    expect(o.bbUpper[0]?.time).toBe(19 * 60)
    expect(o.rsi[0]?.time).toBe(14 * 60)
    expect(o.macdHist.every((p) => p.color.includes(p.value >= 0 ? '38,166,154' : '239,83,80'))).toBe(true)
  })
  it('candles and volume keep every bar, volume coloured by direction', () => {
    expect(candlePoints(bars)).toHaveLength(120)
    const v = volumePoints([{ time: 0, open: 2, high: 3, low: 1, close: 1, volume: 5 }])
    expect(v[0]).toMatchObject({ time: 0, value: 5 })
    expect(v[0]?.color).toContain('239,83,80')
  })
})
