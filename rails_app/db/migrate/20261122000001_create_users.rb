# Dashboard users: email + bcrypt digest (has_secure_password) + role (viewer | operator).
class CreateUsers < ActiveRecord::Migration[6.1]
  def change
    create_table :users do |t|
      t.string :email, null: false
      t.string :password_digest, null: false
      t.string :role, null: false, default: "viewer"
      t.timestamps
    end
    add_index :users, "lower(email)", unique: true, name: "index_users_on_lower_email"
    add_check_constraint :users, "role IN ('viewer', 'operator')", name: "users_role_known"
  end
end
