import { describe, expect, it } from 'vitest'
import { bollinger, ema, macd, rsi, sma, vwap } from '../indicators'

describe('sma', () => {
  it('averages the trailing window and is null during warm-up', () => {
    expect(sma([1, 2, 3, 4, 5], 3)).toEqual([null, null, 2, 3, 4])
  })
  it('rejects a bad period', () => {
    expect(() => sma([1], 0)).toThrow(/period/)
  })
})

describe('ema', () => {
  it('is seeded with the SMA and then smooths with alpha 2/(n+1)', () => {
    const out = ema([2, 4, 6, 8], 3)
    expect(out.slice(0, 2)).toEqual([null, null])
    expect(out[2]).toBeCloseTo(4)
    expect(out[3]).toBeCloseTo(0.5 * 8 + 0.5 * 4)
  })
  it('skips leading nulls (the MACD signal line case)', () => {
    const out = ema([null, null, 3, 3, 3], 2)
    expect(out).toEqual([null, null, null, 3, 3])
  })
})

describe('bollinger', () => {
  it('uses the population standard deviation', () => {
    const b = bollinger([2, 4, 4, 4, 5, 5, 7, 9], 8, 2)
    expect(b.middle[7]).toBeCloseTo(5)
    expect(b.upper[7]).toBeCloseTo(9) // sd = 2
    expect(b.lower[7]).toBeCloseTo(1)
    expect(b.upper[6]).toBeNull()
  })
})

describe('rsi', () => {
  it('is 100 with only gains, 0 with only losses, 50 when flat', () => {
    expect(rsi([1, 2, 3, 4, 5], 3)[4]).toBe(100)
    expect(rsi([5, 4, 3, 2, 1], 3)[4]).toBe(0)
    expect(rsi([1, 1, 1, 1], 2)[3]).toBe(50)
  })
  it('applies Wilder smoothing after the seed', () => {
    // gains/losses: +1, -1 -> seed avg gain .5, loss .5; next +2: gain (.5*1+2)/2=1.25, loss .25 -> RSI 83.33
    const r = rsi([10, 11, 10, 12], 2)
    expect(r[2]).toBeCloseTo(50)
    expect(r[3]).toBeCloseTo(100 - 100 / (1 + 1.25 / 0.25))
  })
})

describe('macd', () => {
  it('histogram = macd - signal, aligned with the input', () => {
    const closes = Array.from({ length: 80 }, (_, i) => 100 + Math.sin(i / 5) * 10 + i * 0.1)
    const m = macd(closes)
    expect(m.macd).toHaveLength(80)
    expect(m.macd[24]).toBeNull()
    expect(m.macd[25]).not.toBeNull()
    expect(m.signal[32]).toBeNull()
    expect(m.signal[33]).not.toBeNull()
    expect(m.histogram[50]).toBeCloseTo(m.macd[50]! - m.signal[50]!)
  })
  it('refuses fast >= slow', () => {
    expect(() => macd([1, 2, 3], 26, 12)).toThrow(/fast/)
  })
})

describe('vwap', () => {
  it('weights typical price by volume and resets at the UTC day boundary', () => {
    const day = 86_400
    const v = vwap([
      { time: day - 120, open: 1, high: 3, low: 0, close: 3, volume: 1 }, // tp 2
      { time: day - 60, open: 1, high: 6, low: 3, close: 3, volume: 3 }, // tp 4
      { time: day, open: 1, high: 10, low: 10, close: 10, volume: 2 }, // new day: tp 10
    ])
    expect(v[0]).toBeCloseTo(2)
    expect(v[1]).toBeCloseTo((2 * 1 + 4 * 3) / 4)
    expect(v[2]).toBeCloseTo(10)
  })
})
