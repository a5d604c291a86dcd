import { describe, expect, it } from 'vitest'
import { account, bots, ms, positions, rows, trades } from '../../api/normalise'

describe('normalise', () => {
  it('finds rows in arrays and common wrappers', () => {
    expect(rows([{ a: 1 }, 3])).toEqual([{ a: 1 }])
    expect(rows({ trades: [{ a: 1 }] }, 'trades')).toEqual([{ a: 1 }])
    expect(rows({ items: [{ a: 2 }] })).toEqual([{ a: 2 }])
    expect(rows('nope')).toEqual([])
  })
  it('reads timestamps as ISO (naive = UTC), seconds or ms', () => {
    expect(ms('2026-11-22T03:00:00Z')).toBe(Date.UTC(2026, 10, 22, 3))
    expect(ms('2026-11-22T03:00:00')).toBe(Date.UTC(2026, 10, 22, 3))
    expect(ms(1_700_000_000)).toBe(1_700_000_000_000)
    expect(ms(1_700_000_000_000)).toBe(1_700_000_000_000)
    expect(ms('garbage')).toBeNull()
  })
  it('reads engine trade rows (table spelling) and backtest trades, dropping incomplete rows', () => {
    const out = trades({
      trades: [
        { id: 7, symbol: 'BTCUSDT', side: 'long', qty: '0.5', entry_time: '2026-11-22T01:00:00Z', entry_price: '100', exit_time: '2026-11-22T02:00:00Z', exit_price: '110', fees: '0.1', pnl_net: '4.9', exit_reason: 'target' },
        { seq: 1, symbol: 'ETHUSDT', side: 'short', quantity: 2, entry_time: '2026-11-22T01:00:00+00:00', exit_time: '2026-11-22T01:30:00+00:00', entry_price: 10, exit_price: 9, entry_fee: 0.01, exit_fee: 0.02, pnl: 1.97, exit_reason: 'signal' },
        { id: 9, symbol: 'BTCUSDT' },
      ],
    })
    expect(out).toHaveLength(2)
    expect(out[0]).toMatchObject({ id: '7', side: 'LONG', quantity: 0.5, pnl: 4.9, fee: 0.1, reason: 'target' })
    expect(out[1]).toMatchObject({ id: '1', side: 'SHORT', fee: 0.03, pnl: 1.97 })
  })
  it('reads positions and drops flat ones', () => {
    const p = positions([
      { bot_id: 'demo', symbol: 'BTCUSDT', side: 'long', qty: '1', avg_entry: '100', mark_price: '101', unrealised_pnl: '1' },
      { bot_id: 'demo', symbol: 'ETHUSDT', side: 'long', qty: '0', avg_entry: '0' },
    ])
    expect(p).toHaveLength(1)
    expect(p[0]).toMatchObject({ key: 'demo|BTCUSDT', entryPrice: 100, unrealizedPnl: 1, stopPrice: null })
  })
  it('reads bots with JSON-encoded symbols', () => {
    expect(bots({ bots: [{ id: 'demo', name: 'Demo', state: 'running', mode: 'replay', symbols: '["BTCUSDT"]' }] })[0]).toMatchObject({ id: 'demo', symbols: ['BTCUSDT'] })
  })
  it('reads account + pnl (engine shapes), per bot or summed', () => {
    const acct = { accounts: [{ bot_id: 'a', equity: '10100', cash: '5000', unrealised: '-3', drawdown: '0.02' }, { bot_id: 'b', equity: '900', cash: '900', unrealised: '0', drawdown: '0.1' }] }
    const today = new Date().toISOString().slice(0, 10)
    const pnl = { realised_net: '100', unrealised: '-3', daily: [{ date: '2020-01-01', pnl: '1' }, { date: today, pnl: '12.5' }] }
    expect(account(acct, pnl, 'a')).toMatchObject({ equity: 10100, cash: 5000, realizedPnl: 100, unrealizedPnl: -3, pnl24h: 12.5, drawdown: 0.02 })
    expect(account(acct, null)).toMatchObject({ equity: 11000, cash: 5900, drawdown: 0.1, pnl24h: null })
    expect(account(null, null).equity).toBeNull()
  })
  it('prefers the live bot state over the record', () => {
    expect(bots({ bots: [{ id: 'x', state: 'running', live: { state: 'halted' } }] })[0]?.state).toBe('halted')
  })
})
