/**
 * Backtests: submit (strategy, params, symbol, interval, range, cash), follow progress by polling
 * GET /backtests/{id}, show metrics + trades + the engine's HTML report (sandboxed iframe), and
 * compare finished runs side by side. Run ids are remembered in localStorage (this browser only).
 * Submitting is operator-only (Rails answers 403 to viewers; the form says so up front).
 */
import { useEffect, useState, type FormEvent } from 'react'
import { ApiError, Engine, type BacktestOut, type Schemas, type StrategyOut, type User } from '../api/client'
import { money, pct, ratio } from '../lib/format'
import { INTERVALS } from '../lib/bars'

const STORE = 'tradingbot.backtests'
const METRICS: [string, string, (v: number) => string][] = [
  ['total_return', 'Return', (v) => pct(v)],
  ['net_profit', 'Net profit', (v) => money(v, true)],
  ['sharpe', 'Sharpe', (v) => ratio(v)],
  ['max_drawdown', 'Max DD', (v) => pct(-Math.abs(v), false)],
  ['trades', 'Trades', (v) => String(v)],
  ['win_rate', 'Win rate', (v) => pct(v, false, 1)],
  ['profit_factor', 'Profit factor', (v) => ratio(v)],
  ['final_equity', 'Final equity', (v) => money(v)],
]

function loadIds(): string[] {
  try {
    const v: unknown = JSON.parse(localStorage.getItem(STORE) ?? '[]')
    return Array.isArray(v) ? v.map(String).slice(0, 20) : []
  } catch {
    return []
  }
}

const isoHour = (ms: number) => new Date(ms).toISOString().slice(0, 16)

export function Backtests({ user, symbol }: { user: User; symbol: string }) {
  const [strategies, setStrategies] = useState<StrategyOut[]>([])
  const [form, setForm] = useState({ strategy: '', params: '{}', symbol, interval: '1m', start: '', end: '', cash: '10000' })
  const [ids, setIds] = useState<string[]>(loadIds)
  const [runs, setRuns] = useState<Record<string, BacktestOut>>({})
  const [selected, setSelected] = useState<string | null>(null)
  const [compare, setCompare] = useState<string[]>([])
  const [report, setReport] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    Engine.strategies()
      .then((r) => {
        setStrategies(r.strategies)
        setForm((f) => ({ ...f, strategy: f.strategy || r.strategies[0]?.name || '' }))
      })
      .catch((e: unknown) => setError(e instanceof ApiError ? e.message : String(e)))
  }, [])

  // Default range: the data the engine has for this symbol (1h bars cover the whole store).
  useEffect(() => {
    setForm((f) => ({ ...f, symbol }))
    Promise.all([Engine.candles(symbol, '1h', 1, undefined, '2000-01-01T00:00:00Z'), Engine.candles(symbol, '1h', 1)])
      .then(([a, b]) => {
        const first = a.candles[0]
        const last = b.candles[b.candles.length - 1]
        if (first && last) setForm((f) => ({ ...f, start: isoHour(first.time), end: isoHour(last.time + 3_600_000) }))
      })
      .catch(() => undefined)
  }, [symbol])

  useEffect(() => localStorage.setItem(STORE, JSON.stringify(ids)), [ids])

  // Poll unfinished runs.
  useEffect(() => {
    let alive = true
    const tick = async () => {
      for (const id of ids) {
        const r = runs[id]
        if (r && (r.status === 'done' || r.status === 'failed')) continue
        try {
          const out = await Engine.backtest(id)
          if (alive) setRuns((m) => ({ ...m, [id]: out }))
        } catch (e) {
          if (alive && e instanceof ApiError && e.status === 404) setIds((l) => l.filter((x) => x !== id))
        }
      }
    }
    void tick()
    const t = setInterval(() => void tick(), 1000)
    return () => {
      alive = false
      clearInterval(t)
    }
  }, [ids, runs])

  useEffect(() => {
    setReport(null)
    if (!selected || runs[selected]?.status !== 'done') return
    Engine.backtestReport(selected)
      .then((r) => setReport(typeof r === 'string' ? r : JSON.stringify(r, null, 2)))
      .catch(() => setReport(null))
  }, [selected, runs[selected ?? '']?.status])

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setError(null)
    let params: Record<string, number | boolean | string>
    try {
      params = JSON.parse(form.params || '{}') as Record<string, number | boolean | string>
    } catch {
      setError('params: not valid JSON')
      return
    }
    const spec: Schemas['BacktestIn'] = {
      strategy: form.strategy,
      params,
      symbol: form.symbol,
      interval: form.interval,
      start: `${form.start}:00Z`,
      end: `${form.end}:00Z`,
      market: 'spot',
      config: { cash: Number(form.cash) },
    }
    try {
      const acc = await Engine.submitBacktest(spec)
      setIds((l) => [acc.id, ...l.filter((x) => x !== acc.id)].slice(0, 20))
      setSelected(acc.id)
    } catch (err) {
      setError(err instanceof ApiError ? `${err.status}: ${err.message}` : String(err))
    }
  }

  const strat = strategies.find((s) => s.name === form.strategy)
  const sel = selected ? runs[selected] : undefined
  const cmp = compare.map((id) => runs[id]).filter((r): r is BacktestOut => !!r && r.status === 'done')

  return (
    <div className="backtests" data-testid="backtests">
      <form className="bt-form" onSubmit={submit}>
        <select value={form.strategy} onChange={(e) => setForm({ ...form, strategy: e.target.value })} aria-label="strategy">
          {strategies.map((s) => (
            <option key={s.name} value={s.name}>
              {s.title || s.name}
            </option>
          ))}
        </select>
        <input value={form.symbol} onChange={(e) => setForm({ ...form, symbol: e.target.value.toUpperCase() })} aria-label="symbol" size={9} />
        <select value={form.interval} onChange={(e) => setForm({ ...form, interval: e.target.value })} aria-label="interval">
          {INTERVALS.map((i) => (
            <option key={i}>{i}</option>
          ))}
        </select>
        <input type="datetime-local" value={form.start} onChange={(e) => setForm({ ...form, start: e.target.value })} aria-label="start (UTC)" />
        <input type="datetime-local" value={form.end} onChange={(e) => setForm({ ...form, end: e.target.value })} aria-label="end (UTC)" />
        <input value={form.cash} onChange={(e) => setForm({ ...form, cash: e.target.value })} aria-label="cash" size={7} />
        <input
          value={form.params}
          onChange={(e) => setForm({ ...form, params: e.target.value })}
          aria-label="params JSON"
          title={strat ? strat.params.map((p) => `${p.name}=${String(p.default)}`).join(', ') : ''}
          size={18}
        />
        <button type="submit" disabled={user.role !== 'operator' || !form.strategy} data-testid="bt-submit">
          Run backtest
        </button>
        {user.role !== 'operator' && <span className="muted">operators only</span>}
      </form>
      {error && <div className="error-line" data-testid="bt-error">{error}</div>}
      <table className="grid compact">
        <thead>
          <tr>
            <th>cmp</th>
            <th>Run</th>
            <th>Strategy</th>
            <th>Symbol</th>
            <th>Status</th>
            <th className="num">Return</th>
            <th className="num">Sharpe</th>
            <th className="num">Trades</th>
          </tr>
        </thead>
        <tbody>
          {ids.map((id) => {
            const r = runs[id]
            const m = (r?.metrics ?? {}) as Record<string, number>
            const spec = (r?.spec ?? {}) as Record<string, unknown>
            return (
              <tr key={id} className={id === selected ? 'selected' : ''} onClick={() => setSelected(id)} data-testid="bt-run" data-status={r?.status ?? ''}>
                <td>
                  <input
                    type="checkbox"
                    checked={compare.includes(id)}
                    onClick={(e) => e.stopPropagation()}
                    onChange={(e) => setCompare((c) => (e.target.checked ? [...c, id] : c.filter((x) => x !== id)))}
                  />
                </td>
                <td className="mono">{id.slice(0, 8)}</td>
                <td>{String(spec.strategy ?? '')}</td>
                <td>{String(spec.symbol ?? (spec.symbols as string[] | undefined)?.join(',') ?? '')}</td>
                <td>
                  {r?.status ?? '…'}
                  {r && r.status !== 'done' && r.status !== 'failed' && <progress max={1} value={r.progress} />}
                </td>
                <td className="num mono">{m.total_return !== undefined ? pct(m.total_return) : '—'}</td>
                <td className="num mono">{m.sharpe !== undefined ? ratio(m.sharpe) : '—'}</td>
                <td className="num mono">{m.trades ?? '—'}</td>
              </tr>
            )
          })}
        </tbody>
      </table>
      {sel && (
        <div className="bt-result" data-testid="bt-result" data-status={sel.status}>
          {sel.status === 'failed' && <div className="error-line">{sel.error}</div>}
          {sel.metrics && (
            <div className="kvs">
              {METRICS.map(([k, label, f]) => {
                const v = (sel.metrics as Record<string, unknown>)[k]
                return (
                  <span className="kv" key={k}>
                    {label} <b className="mono" data-metric={k}>{typeof v === 'number' ? f(v) : '—'}</b>
                  </span>
                )
              })}
            </div>
          )}
          {report && <iframe title="backtest report" className="bt-report" sandbox="" srcDoc={report} data-testid="bt-report" />}
        </div>
      )}
      {cmp.length > 1 && (
        <table className="grid compact" data-testid="bt-compare">
          <thead>
            <tr>
              <th>Metric</th>
              {cmp.map((r) => (
                <th key={r.id} className="num">{r.id.slice(0, 8)}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {METRICS.map(([k, label, f]) => (
              <tr key={k}>
                <td>{label}</td>
                {cmp.map((r) => {
                  const v = (r.metrics as Record<string, unknown> | null)?.[k]
                  return (
                    <td key={r.id} className="num mono">{typeof v === 'number' ? f(v) : '—'}</td>
                  )
                })}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}
