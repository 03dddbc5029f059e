-- The review policy: who a key stands for, and where an account hears of overdue reviews.

-- A key's label: a person's or a system's name, shown as who decided. NULL: the key's name.
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS label text;

-- The account's review webhook: told (signed, like broker webhooks) when a review is overdue.
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS review_webhook_url text;
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS review_webhook_secret text;
