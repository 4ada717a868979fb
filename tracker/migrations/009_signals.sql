-- One row per scope ('all', 'ethereum', 'tron') and UTC day: the signal inputs (see
-- queries/signal_features.sql), the score of the rules that fired, the regime (with hysteresis), whether it
-- changed that day, how complete the inputs were, and the reasons in words. Recomputed whole by
-- `tracker signals` (hysteresis depends on every day before), so re-running changes nothing.
CREATE TABLE signals (
    scope               VARCHAR  NOT NULL,
    day                 DATE     NOT NULL,
    symbol              VARCHAR  NOT NULL,  -- the market the funding/OI/ratio features come from
    netflow             DECIMAL(38,6),
    netflow_z           DOUBLE,
    net_issuance_7d     DECIMAL(38,6),
    reserve_change_pct  DOUBLE,
    funding_annualized  DOUBLE,
    oi_change_7d        DOUBLE,
    oi_drawdown_90d     DOUBLE,
    long_short_ratio    DOUBLE,
    close               DECIMAL(38,12),
    score               DOUBLE   NOT NULL,
    regime              VARCHAR  NOT NULL CHECK (regime IN ('risk_on', 'neutral', 'risk_off')),
    shift               BOOLEAN  NOT NULL,
    confidence          DOUBLE   NOT NULL,
    rules               VARCHAR  NOT NULL,  -- names of the rules that fired, comma-separated
    reasons             VARCHAR  NOT NULL,
    missing             VARCHAR  NOT NULL,
    PRIMARY KEY (scope, day)
);
