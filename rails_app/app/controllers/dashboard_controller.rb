# The built dashboard (DASHBOARD_DIST, e.g. frontend/dist) served by puma itself, so the browser
# talks to one origin: /api and /cable relative to the page, no CORS. Static files come from
# ActionDispatch::Static (public path = DASHBOARD_DIST); this serves index.html for "/" and for
# client-side routes (any other GET that is not /api or /cable).
class DashboardController < ApplicationController
  def index
    dist = ENV["DASHBOARD_DIST"].presence
    index = dist && File.join(dist, "index.html")
    unless index && File.file?(index)
      return render json: { error: "dashboard not built (set DASHBOARD_DIST to frontend/dist)" },
                    status: :not_found
    end

    response.headers["Cache-Control"] = "no-cache"
    send_file index, type: "text/html; charset=utf-8", disposition: "inline"
  end
end
