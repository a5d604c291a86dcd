# The audit of control requests (see the migration): written by EngineProxyController for every
# control request, refused ones included. Append-only.
class ControlAudit < ApplicationRecord
  RESULTS = %w[accepted rejected forbidden engine_error timeout].freeze

  belongs_to :user, optional: true

  validates :user_email, :user_role, :action, presence: true
  validates :result, inclusion: { in: RESULTS }
  validates :http_status, numericality: { only_integer: true, greater_than_or_equal_to: 100 }

  before_update { raise ActiveRecord::ReadOnlyRecord, "control audits are append-only" }

  def self.record!(user:, action:, target:, params:, result:, http_status:, detail: "", request_id: "")
    create!(user: user, user_email: user.email, user_role: user.role, action: action,
            target: target.to_s, params: params || {}, result: result, http_status: http_status,
            detail: detail.to_s.truncate(2000), request_id: request_id.to_s)
  end
end
