/** Login form: POST /api/session; Rails sets the HttpOnly session cookie. */
import { useState, type FormEvent } from 'react'
import { ApiError, Session, type User } from '../api/client'

export function Login({ onLogin }: { onLogin: (u: User) => void }) {
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const { user } = await Session.login(email, password)
      onLogin(user)
    } catch (err) {
      setError(err instanceof ApiError ? (err.status === 401 ? 'Wrong email or password' : err.message) : String(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <div className="login">
      <form onSubmit={submit} className="login-box" data-testid="login-form">
        <h1>
          <span className="logo">◆</span> TradingBot
        </h1>
        <label>
          Email
          <input name="email" type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} required />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </label>
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {error && <div className="error-line" data-testid="login-error">{error}</div>}
      </form>
    </div>
  )
}
