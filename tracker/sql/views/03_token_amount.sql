-- A raw amount in its token's units, exactly: amount_raw × tokens.unit (10^-decimals), at the `amount` type's
-- scale (6 places while every synced token has 6 decimals; see store.fit_amount_type). Never rounded: the
-- type is as fine as the finest synced token.
-- The unit is cast first so the product has the type's scale: at 6 places a 6-decimal raw amount may use all
-- 38 digits, as before this macro.
CREATE OR REPLACE MACRO token_amount(raw, unit) AS CAST(raw * CAST(unit AS amount) AS amount);
