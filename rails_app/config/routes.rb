Rails.application.routes.draw do
  scope :api, defaults: { format: :json } do
    resource :session, only: %i[create destroy]
    get "me", to: "sessions#show"
    get "health", to: "health#show"
    match "v1/*path", to: "engine_proxy#forward", via: %i[get head post put patch delete],
                      format: false
    match "*path", to: proc { [404, { "Content-Type" => "application/json" }, ['{"error":"not found"}']] },
                   via: :all, format: false
  end

  # The built dashboard (see DashboardController); ActionCable is mounted at /cable.
  root to: "dashboard#index"
  get "*path", to: "dashboard#index", format: false,
               constraints: ->(request) { !request.path.start_with?("/cable", "/api/") }
end
