/** Session gate: GET /api/me decides between the login page and the dashboard. */
import { useEffect, useState } from 'react'
import { ApiError, Session, type User } from './api/client'
import { Login } from './components/Login'
import { Dashboard } from './Dashboard'

export function App() {
  const [user, setUser] = useState<User | null | undefined>(undefined)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    Session.me()
      .then((r) => setUser(r.user))
      .catch((e: unknown) => {
        setUser(null)
        if (!(e instanceof ApiError && e.status === 401)) setError(e instanceof Error ? e.message : String(e))
      })
  }, [])
  if (user === undefined) return <div className="splash">Loading…</div>
  if (user === null)
    return (
      <>
        {error && <div className="banner danger">Server: {error}</div>}
        <Login onLogin={setUser} />
      </>
    )
  return <Dashboard user={user} onLogout={() => setUser(null)} />
}
