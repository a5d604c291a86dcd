# One row per control request made through Rails (bot start/stop/pause/resume/emergency-stop,
# backtest and training submissions), refused ones included: who, what, on what, with which
# parameters, what came of it, when. Rows are never updated or deleted by the app.
class CreateControlAudits < ActiveRecord::Migration[6.1]
  def change
    create_table :control_audits do |t|
      t.references :user, null: true, foreign_key: { on_delete: :nullify }
      t.string :user_email, null: false          # kept when the user is deleted
      t.string :user_role, null: false
      t.string :action, null: false              # e.g. "bots.emergency-stop", "backtests.create"
      t.string :target, null: false, default: "" # bot id, "" when none
      t.jsonb :params, null: false, default: {}
      t.string :result, null: false              # accepted | rejected | forbidden | engine_error | timeout
      t.integer :http_status, null: false        # what the browser got
      t.text :detail, null: false, default: ""
      t.string :request_id, null: false, default: ""
      t.datetime :created_at, null: false, precision: 6
    end
    add_index :control_audits, :created_at
    add_index :control_audits, %i[action target]
  end
end
