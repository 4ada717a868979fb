-- A raw amount in its token's units, exactly: amount_raw × its unit from token_units (10^-decimals at the
-- `amount` type's scale: 6 places while every synced token has 6 decimals; see store.fit_amount_type). Never
-- rounded: the type is as fine as the finest synced token.
CREATE OR REPLACE MACRO token_amount(raw, unit) AS CAST(raw * unit AS amount);
