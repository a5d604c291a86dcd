/**
 * Bot controls: start, stop, pause/resume, emergency stop (behind a confirmation dialog with a
 * reason). Operators only: viewers see the state and a read-only note, never the buttons (Rails
 * answers 403 anyway). The result or error of the last command is shown.
 */
import { useState } from 'react'
import { ApiError, Engine, type User } from '../api/client'
import type { BotView } from '../api/normalise'

type Cmd = 'start' | 'stop' | 'pause' | 'resume' | 'emergency-stop'

export function Controls({ user, bots, botId, onSelect, states, onDone }: { user: User; bots: BotView[]; botId: string; onSelect: (id: string) => void; states: Record<string, string>; onDone: () => void }) {
  const [busy, setBusy] = useState<Cmd | null>(null)
  const [result, setResult] = useState<string | null>(null)
  const [confirm, setConfirm] = useState(false)
  const [reason, setReason] = useState('')
  const state = states[botId] ?? bots.find((b) => b.id === botId)?.state ?? 'unknown'
  const operator = user.role === 'operator'

  const send = async (cmd: Cmd, why = '') => {
    setBusy(cmd)
    setResult(null)
    try {
      await Engine.control(botId, cmd, why || `dashboard ${cmd}`)
      setResult(`${cmd} accepted`)
      onDone()
    } catch (e) {
      setResult(e instanceof ApiError ? `${cmd} failed: ${e.status} ${e.message}` : String(e))
    } finally {
      setBusy(null)
    }
  }

  return (
    <div className="controls" data-testid="controls">
      <div className="toolbar">
        <select value={botId} onChange={(e) => onSelect(e.target.value)} aria-label="bot">
          {bots.map((b) => (
            <option key={b.id} value={b.id}>
              {b.name || b.id} ({b.mode})
            </option>
          ))}
          {!bots.length && <option value="">no bots</option>}
        </select>
        <span className={`badge state-${state}`} data-testid="control-state">{state}</span>
      </div>
      {operator ? (
        <div className="buttons">
          <button onClick={() => send('start')} disabled={!botId || busy !== null}>Start</button>
          <button onClick={() => send(state === 'paused' ? 'resume' : 'pause')} disabled={!botId || busy !== null}>
            {state === 'paused' ? 'Resume' : 'Pause'}
          </button>
          <button onClick={() => send('stop')} disabled={!botId || busy !== null}>Stop</button>
          <button className="danger" onClick={() => setConfirm(true)} disabled={!botId || busy !== null} data-testid="emergency-stop">
            Emergency stop
          </button>
        </div>
      ) : (
        <div className="muted" data-testid="read-only">Read-only (viewer): controls need the operator role.</div>
      )}
      {result && <div className="muted" data-testid="control-result">{result}</div>}
      {confirm && (
        <div className="modal-backdrop" role="dialog" aria-modal="true" data-testid="confirm-dialog">
          <div className="modal">
            <h3>Emergency stop {botId}?</h3>
            <p>Cancels every open order, flattens every position at market and halts the bot. It stays halted until started again.</p>
            <input placeholder="Reason (written to the audit log)" value={reason} onChange={(e) => setReason(e.target.value)} />
            <div className="buttons">
              <button onClick={() => setConfirm(false)}>Cancel</button>
              <button
                className="danger"
                data-testid="confirm-emergency-stop"
                onClick={() => {
                  setConfirm(false)
                  void send('emergency-stop', reason || 'dashboard emergency stop')
                }}
              >
                Confirm emergency stop
              </button>
            </div>
          </div>
        </div>
      )}
    </div>
  )
}
