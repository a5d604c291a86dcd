/** System health: API latency, live stream status, last data time, error rate, per-component health. */
import type { StreamStatus } from '../api/cable'
import type { HealthData } from '../api/events'
import { time } from '../lib/format'

interface Props {
  apiLatencyMs: number | null
  engineLatencyMs: number | null
  rails: Record<string, unknown> | null
  railsError: string | null
  streams: Record<string, StreamStatus>
  lastEventAt: number | null
  lastDataTs: string | null
  events: number
  errorRate: number
  components: Record<string, HealthData & { ts: string }>
  venueErrors: { ts: string; code: string; message: string }[]
}

const dot = (ok: boolean | null) => <span className={`dot ${ok === null ? 'grey' : ok ? 'green' : 'red'}`} />

export function SystemHealth(p: Props) {
  const streams = Object.entries(p.streams)
  const allUp = streams.length > 0 && streams.every(([, s]) => s === 'connected')
  return (
    <div className="health" data-testid="system-health">
      <div className="kvs">
        <span className="kv">API latency <b className="mono" data-testid="api-latency">{p.apiLatencyMs === null ? '—' : `${p.apiLatencyMs.toFixed(0)} ms`}</b></span>
        <span className="kv">Engine <b className="mono">{p.engineLatencyMs === null ? '—' : `${p.engineLatencyMs.toFixed(0)} ms`}</b></span>
        <span className="kv">
          Stream {dot(streams.length ? allUp : null)}
          <b data-testid="stream-status">{streams.length ? (allUp ? 'connected' : streams.map(([k, s]) => `${k.split(':')[0]} ${s}`).find((x) => !x.endsWith('connected')) ?? 'partial') : 'off'}</b>
        </span>
        <span className="kv">Last data <b className="mono" data-testid="last-data">{p.lastDataTs ?? '—'}</b></span>
        <span className="kv">Received <b className="mono">{p.lastEventAt ? time(p.lastEventAt) : '—'}</b> ({p.events} events)</span>
        <span className="kv">Errors <b className="mono">{p.errorRate.toFixed(2)}/min</b></span>
      </div>
      <table className="grid compact">
        <tbody>
          {(!p.rails || !('rails' in p.rails)) && (
            <tr>
              <td>{dot(p.rails ? true : p.railsError ? false : null)} rails</td>
              <td className="muted">{p.railsError ?? (p.rails ? 'ok' : '…')}</td>
            </tr>
          )}
          {p.rails &&
            Object.entries(p.rails)
              .filter(([, v]) => typeof v === 'object' && v !== null)
              .map(([k, v]) => {
                const o = v as Record<string, unknown>
                const ok = o.ok === true || o.status === 'ok' || o.status === 'up'
                return (
                  <tr key={`r-${k}`}>
                    <td>{dot(ok)} {k}</td>
                    <td className="muted">{String(o.detail ?? o.status ?? (ok ? 'ok' : 'down'))}</td>
                  </tr>
                )
              })}
          {Object.values(p.components).map((c) => (
            <tr key={c.component}>
              <td>{dot(c.status === 'ok' ? true : c.status === 'down' ? false : null)} {c.component}</td>
              <td className="muted">
                {c.status} {c.detail} {c.stale_s !== undefined ? `· stale ${c.stale_s}s` : ''}
              </td>
            </tr>
          ))}
          {p.venueErrors.slice(0, 3).map((e) => (
            <tr key={`${e.ts}${e.code}`}>
              <td className="down">venue {e.code}</td>
              <td className="muted">{e.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}
