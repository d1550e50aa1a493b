-- The `balances` consumer group (docs/extending.md, the worked example of a
-- new service): each account's running balance per currency, exact under
-- redelivery.
--
-- Why two tables: `balance_entries` remembers every event already applied,
-- keyed by event id, so a redelivered event finds its row and adds nothing;
-- `account_balances` holds the sums. The handler writes both in one statement,
-- so they can never disagree.
CREATE TABLE balance_entries (
    event_id uuid PRIMARY KEY,
    account text NOT NULL,
    currency text NOT NULL,
    -- Signed, in minor units: a payment takes money out, a refund or top-up puts it in.
    delta bigint NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE account_balances (
    account text NOT NULL,
    currency text NOT NULL,
    balance bigint NOT NULL,
    events bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account, currency)
);
