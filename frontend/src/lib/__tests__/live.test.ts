import { describe, expect, it } from 'vitest'
import { parseEvent, type AnyEvent } from '../../api/events'
import { applyEvent, dataClock, initialLive, intervalMs, type LiveState } from '../live'

let seq = 0
const ev = (type: string, data: Record<string, unknown>, extra: Partial<{ bot_id: string; symbol: string; ts: string; id: string }> = {}): AnyEvent => {
  const e = parseEvent({ id: `${++seq}-0`, type, bot_id: 'demo', symbol: 'BTCUSDT', ts: '2026-11-22T03:00:00.000Z', data, ...extra })
  if (!e) throw new Error(`bad test event ${type}`)
  return e
}
const run = (...events: AnyEvent[]): LiveState => events.reduce((s, e) => applyEvent(s, e, 1000), initialLive())

describe('parseEvent', () => {
  it('accepts the relay envelope, parses string data, rejects unknown types', () => {
    expect(parseEvent({ id: '1-0', type: 'bar', ts: 'x', data: '{"close":"1"}' })?.data).toEqual({ close: '1' })
    expect(parseEvent({ type: 'nope', data: {} })).toBeNull()
    expect(parseEvent({ type: 'bar', data: 'not json' })).toBeNull()
    expect(parseEvent(null)).toBeNull()
  })
})

describe('applyEvent', () => {
  it('tracks the newest bar close per symbol and ignores older bars', () => {
    const s = run(
      ev('bar', { interval: '1m', open_time: 120_000, open: '1', high: '2', low: '1', close: '1.5', volume: '1' }),
      ev('bar', { interval: '1m', open_time: 60_000, open: '9', high: '9', low: '9', close: '9', volume: '1' }),
    )
    expect(s.prices.BTCUSDT).toEqual({ price: 1.5, time: 120_000, open: 1, closeTime: 180_000 })
    expect(s.eventCount).toBe(2)
  })
  it('ignores a repeated event id', () => {
    const e = ev('fill', { client_order_id: 'c', trade_id: '1', side: 'BUY', price: '10', quantity: '2', fee: '0.01', fee_asset: 'USDT', is_maker: false })
    const s = run(e, e)
    expect(s.fills).toHaveLength(1)
    expect(s.eventCount).toBe(1)
  })
  it('adds, updates and removes positions (quantity 0 = flat)', () => {
    const pos = (q: string) => ev('position', { side: 'long', quantity: q, entry_price: '100', mark_price: '110', unrealized_pnl: '10', stop_price: '95', take_profit: null })
    let s = run(pos('1'))
    expect(s.positions['demo|BTCUSDT']).toMatchObject({ side: 'LONG', quantity: 1, unrealizedPnl: 10, stopPrice: 95, takeProfit: null })
    expect(s.positions['demo|BTCUSDT']?.at).toBe(1000)
    s = applyEvent(s, pos('0'), 2000)
    expect(s.positions).toEqual({})
    expect(s.flat).toEqual(['demo|BTCUSDT'])
    expect(s.flatAt['demo|BTCUSDT']).toBe(2000)
    s = applyEvent(s, pos('2'), 3000)
    expect(s.flat).toEqual([])
  })
  it('keeps bot state; a kill-switch refusal marks the bot halted', () => {
    let s = run(ev('bot', { state: 'running', mode: 'replay', reason: '' }))
    expect(s.bots.demo?.state).toBe('running')
    s = applyEvent(s, ev('risk', { approved: false, check: 'kill_switch', reasons: ['emergency stop by operator'] }))
    expect(s.bots.demo).toMatchObject({ state: 'halted', mode: 'replay', reason: 'emergency stop by operator' })
    s = applyEvent(s, ev('risk', { approved: false, check: 'max_position', reasons: ['too big'] }))
    expect(s.bots.demo?.state).toBe('halted')
    expect(s.risk).toHaveLength(2)
  })
  it('records equity and grows the curve', () => {
    const s = run(
      ev('equity', { equity: '10000', realized_pnl: '0', unrealized_pnl: '0', drawdown_pct: '0' }, { ts: '2026-11-22T03:00:00.000Z' }),
      ev('equity', { equity: '10050.5', realized_pnl: '50.5', unrealized_pnl: '0', drawdown_pct: '0' }, { ts: '2026-11-22T03:01:00.000Z' }),
    )
    expect(s.equity?.equity).toBe(10050.5)
    expect(s.equityCurve.map((p) => p.equity)).toEqual([10000, 10050.5])
  })
  it('keeps books, signals, health and venue errors', () => {
    const s = run(
      ev('book', { bids: [['99', '1']], asks: [['101', '2']] }),
      ev('signal', { action: 'BUY', strategy: 'ema_cross', score: 72, reasons: ['fast above slow'] }),
      ev('health', { component: 'market_stream', status: 'degraded', detail: 'stale', stale_s: 40 }),
      ev('venue_error', { code: -1003, message: 'too many requests', endpoint: '/api/v3/order' }),
    )
    expect(s.books.BTCUSDT?.asks[0]).toEqual(['101', '2'])
    expect(s.signals.BTCUSDT).toMatchObject({ action: 'BUY', score: 72, components: {} })
    expect(s.health.market_stream?.status).toBe('degraded')
    expect(s.venueErrors[0]?.code).toBe('-1003')
    expect(s.lastDataTs).toBe('2026-11-22T03:00:00.000Z')
  })
})

describe('dataClock (what the AI insights must be knowable at)', () => {
  const bar = (openTime: number, interval = '1m') => ev('bar', { interval, open_time: openTime, open: '1', high: '1', low: '1', close: '1', volume: '1' })
  it('is the close of the newest replayed bar, not the wall clock of bot/health events', () => {
    const replayBar = Date.parse('2023-03-23T01:57:00Z')
    const s = run(bar(replayBar), ev('bot', { state: 'halted', mode: 'replay', reason: 'x' }, { ts: '2026-11-22T03:46:00.000Z' }))
    expect(dataClock(s, 'BTCUSDT')).toBe('2023-03-23T01:58:00.000Z')
    expect(dataClock(s, 'ETHUSDT')).toBeNull()
  })
  it('takes the later of the bar close and the signal time, per symbol', () => {
    const s = run(bar(0, '1h'), ev('signal', { action: 'HOLD', strategy: 'ema_cross', score: null, reasons: [] }, { ts: '1970-01-01T02:00:00.000Z' }))
    expect(dataClock(s, 'BTCUSDT')).toBe('1970-01-01T02:00:00.000Z')
    expect(dataClock(run(bar(7_200_000, '1h')), 'BTCUSDT')).toBe('1970-01-01T03:00:00.000Z')
  })
  it('reads intervals', () => {
    expect([intervalMs('1m'), intervalMs('15m'), intervalMs('4h'), intervalMs('1d'), intervalMs('bad')]).toEqual([60_000, 900_000, 14_400_000, 86_400_000, 60_000])
  })
})
