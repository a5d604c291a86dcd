# Log in / out with the session cookie, and who am I.
#   POST   /api/session {email, password} -> 200 {user: {email, role}} | 401 {error}
#   DELETE /api/session                   -> 200 {user: null}
#   GET    /api/me                        -> 200 {user} | 401 {error}
class SessionsController < ApplicationController
  before_action :require_login!, only: :show

  def create
    user = User.authenticate(params[:email], params[:password])
    unless user
      return render json: { error: "invalid email or password" }, status: :unauthorized
    end

    reset_session # a fresh session id at login (no session fixation)
    session[:user_id] = user.id
    render json: { user: user }
  end

  def destroy
    reset_session
    render json: { user: nil }
  end

  def show
    render json: { user: current_user }
  end
end
