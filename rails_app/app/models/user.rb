# A dashboard user. Roles: `viewer` reads everything; `operator` may also control bots and
# submit backtests/training (see EngineRoutes). Emails are unique case-insensitively and stored
# lower-case; passwords are bcrypt digests (has_secure_password), at least 8 characters.
class User < ApplicationRecord
  ROLES = %w[viewer operator].freeze
  EMAIL = /\A[^@\s]+@[^@\s]+\z/

  has_secure_password
  has_many :control_audits, dependent: :nullify

  before_validation { self.email = email.to_s.strip.downcase }

  validates :email, presence: true, format: { with: EMAIL }, length: { maximum: 254 },
                    uniqueness: { case_sensitive: false }
  validates :role, inclusion: { in: ROLES, message: "must be one of #{ROLES.join(', ')}" }
  validates :password, length: { minimum: 8 }, allow_nil: true

  def operator?
    role == "operator"
  end

  def as_json(*)
    { "email" => email, "role" => role }
  end

  # The user for these credentials, or nil (same answer for a wrong email or a wrong password).
  def self.authenticate(email, password)
    user = find_by(email: email.to_s.strip.downcase)
    user if user&.authenticate(password.to_s)
  end
end
