/** Top bar: balance, 24h P&L, overall status light, user and logout. */
import type { User } from '../api/client'
import { money, pct, tone } from '../lib/format'

export type Light = 'green' | 'yellow' | 'red' | 'grey'

interface Props {
  user: User
  balance: number | null
  pnl24h: number | null
  pnl24hPct: number | null
  light: Light
  lightTitle: string
  botState: string
  onLogout: () => void
}

export function Header({ user, balance, pnl24h, pnl24hPct, light, lightTitle, botState, onLogout }: Props) {
  return (
    <header className="topbar">
      <div className="brand">
        <span className="logo">◆</span> TradingBot <span className="muted">V2</span>
      </div>
      <div className="stat">
        <span className="label">Balance</span>
        <span className="value mono" data-testid="balance">{money(balance)}</span>
      </div>
      <div className="stat">
        <span className="label">24h P&amp;L</span>
        <span className={`value mono ${tone(pnl24h)}`} data-testid="pnl24h">
          {money(pnl24h, true)} {pnl24hPct !== null && <small>({pct(pnl24hPct)})</small>}
        </span>
      </div>
      <div className="stat">
        <span className="label">Bot</span>
        <span className={`value badge state-${botState}`} data-testid="bot-state">{botState}</span>
      </div>
      <div className="spacer" />
      <span className={`light light-${light}`} title={lightTitle} data-testid="status-light" />
      <div className="user">
        <span>{user.email}</span> <span className={`role role-${user.role}`}>{user.role}</span>
        <button className="link" onClick={onLogout}>Log out</button>
      </div>
    </header>
  )
}
