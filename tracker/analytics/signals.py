"""Risk-on / risk-off signals: features from SQL, rules and hysteresis in pure functions, stored in `signals`.

The rules follow the seed's thesis. Stablecoins arriving on exchanges, or fresh
issuance, tilt towards risk-on (liquidity). Rising funding with rising open
interest is leverage building up (fragile), worse when accounts lean long. Open
interest washed out well below its high with neutral funding is a bottoming
setup. Negative funding while stablecoins leave exchanges is risk-off. A flush of
long liquidations while open interest falls sharply is deleveraging (bottoming
setup); large estimated liquidation levels close to the price with hot funding is
fragility. Options: much open interest at strikes close to spot pins the price and
then cascades past it (fragile); implied volatility (DVOL) rising with hot funding is
fragility; a put/call extreme reads as crowded hedging (contrarian, risk-on tilt) or
complacency (calls crowded, fragile). An input that is missing is named and lowers confidence; it is never
read as zero (a liquidation stream that covered part of the day counts in part).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa

from tracker import settings
from tracker.analytics.reading import open_for_reading, prepare_database
from tracker.errors import TrackerError
from tracker.queries import Result, execute, resolve_sql
from tracker.store import Store, transaction

REGIMES = ("risk_on", "neutral", "risk_off")
# The inputs the rules read; confidence is the share of them present (times the share of chains synced).
INPUTS = ("netflow_z", "net_issuance_7d", "funding_annualized", "oi_change_7d", "oi_drawdown_90d", "long_short_ratio",
          "liquidations", "est_levels", "options", "dvol")
TRAILING_DAYS = 30


@dataclass(frozen=True)
class Thresholds:
    """Every threshold and weight of the rules: `signals.*` in `settings` (one copy of the defaults)."""

    min_trailing_days: int
    netflow_z_inflow: float
    netflow_z_outflow: float
    issuance_7d_usd: float
    funding_hot: float
    oi_rise_7d: float
    long_heavy_ratio: float
    oi_washout: float
    funding_neutral: float
    weight_liquidity: float
    weight_issuance: float
    weight_leverage: float
    weight_long_heavy: float
    weight_bottoming: float
    weight_risk_off: float
    liq_min_coverage_hours: float
    liq_flush_z: float
    oi_fall_7d: float
    levels_near_share: float
    weight_flush: float
    weight_fragility: float
    options_near_share: float
    dvol_rise_7d: float
    put_call_high: float
    put_call_low: float
    weight_pinning: float
    weight_vol_fragility: float
    weight_put_call_fear: float
    weight_put_call_complacency: float
    enter_risk_on: float
    exit_risk_on: float
    enter_risk_off: float
    exit_risk_off: float

    @classmethod
    def from_settings(cls) -> Thresholds:
        found = cls(**{f.name: settings.get(f"signals.{f.name}") for f in fields(cls)})
        if not (found.exit_risk_off <= found.exit_risk_on and found.enter_risk_off <= found.exit_risk_off
                and found.exit_risk_on <= found.enter_risk_on):
            raise TrackerError("signals thresholds: need enter_risk_off ≤ exit_risk_off ≤ exit_risk_on ≤ enter_risk_on")
        if found.put_call_low >= found.put_call_high:
            raise TrackerError("signals thresholds: need put_call_low < put_call_high")
        return found


@dataclass(frozen=True)
class Features:
    scope: str
    day: date
    netflow: Decimal
    netflow_z: float | None
    z_days: int
    net_issuance_7d: Decimal
    reserve_change_pct: float | None
    funding_annualized: float | None
    oi_change_7d: float | None
    oi_drawdown_90d: float | None
    long_short_ratio: float | None
    close: Decimal | None
    chains: int
    chains_synced: int
    complete: bool
    # issue 18 (defaults: a day without liquidation data or model output)
    oi_usd: Decimal | None = None
    long_liq_usd: Decimal | None = None
    short_liq_usd: Decimal | None = None
    liq_ratio: float | None = None
    long_liq_z: float | None = None
    liq_z_days: int = 0
    liq_coverage_hours: float | None = None
    est_levels_2pct_usd: Decimal | None = None
    est_levels_5pct_usd: Decimal | None = None
    est_levels_ts: Any = None
    # issue 19 (defaults: a day without an options snapshot or DVOL candles)
    options_oi_usd: Decimal | None = None
    options_near_share: float | None = None
    put_call_ratio: float | None = None
    options_iv: float | None = None
    options_snapshot_ts: Any = None
    dvol: Decimal | None = None
    dvol_change_7d: float | None = None


@dataclass(frozen=True)
class Judgement:
    score: float
    rules: list[str]
    reasons: list[str]
    missing: list[str]
    confidence: float


def usd(amount: Decimal | float) -> str:
    """$1.23B / $45.6M / $789K / $12: figures in reasons stay readable; exact values are in the columns."""
    value = float(amount)
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= size:
            return f"{'-' if value < 0 else ''}${abs(value) / size:.2f}{suffix}"
    return f"{'-' if value < 0 else ''}${abs(value):,.0f}"


def judge(row: Features, limits: Thresholds, symbol: str) -> Judgement:
    """Which rules fire on one day, with their numbers; what is missing; how much to trust it."""
    rules: list[str] = []
    reasons: list[str] = []
    missing: list[str] = []
    score = 0.0

    z = row.netflow_z if row.z_days >= limits.min_trailing_days else None
    if z is None:
        missing.append(f"netflow z-score ({row.z_days} of the trailing {TRAILING_DAYS} days synced, "
                       f"{limits.min_trailing_days} needed)" if row.z_days < limits.min_trailing_days
                       else "netflow z-score (no variation in the trailing days)")
    market = {"funding_annualized": f"funding (no {symbol} funding rate for the day)",
              "oi_change_7d": f"OI 7-day change (no {symbol} open interest for the day or for 7 days before)",
              "oi_drawdown_90d": f"OI drawdown from the 90-day high (no {symbol} open interest for the day)",
              "long_short_ratio": f"long/short ratio (no {symbol} ratio for the day)"}
    missing += [words for name, words in market.items() if getattr(row, name) is None]
    funding, oi_change, drawdown, ratio = row.funding_annualized, row.oi_change_7d, row.oi_drawdown_90d, row.long_short_ratio
    liquidations, liq_missing = _liquidation_inputs(row, limits, symbol)
    missing += liq_missing
    long_z = row.long_liq_z if liquidations and row.liq_z_days >= limits.min_trailing_days else None

    if z is not None and z >= limits.netflow_z_inflow:
        score += limits.weight_liquidity
        rules.append("liquidity_inflow")
        reasons.append(f"stablecoins arriving on exchanges: netflow {usd(row.netflow)}, z {z:+.2f} against the "
                       f"trailing {TRAILING_DAYS} days (≥ {limits.netflow_z_inflow:+.2f}) → risk-on tilt "
                       f"({limits.weight_liquidity:+.1f})")
    if row.net_issuance_7d >= Decimal(str(limits.issuance_7d_usd)):
        score += limits.weight_issuance
        rules.append("fresh_issuance")
        reasons.append(f"fresh issuance: {usd(row.net_issuance_7d)} net minted over 7 days "
                       f"(≥ {usd(limits.issuance_7d_usd)}) → risk-on tilt ({limits.weight_issuance:+.1f})")
    if funding is not None and oi_change is not None and funding >= limits.funding_hot and oi_change >= limits.oi_rise_7d:
        weight = limits.weight_leverage
        leaning = ""
        if ratio is not None and ratio >= limits.long_heavy_ratio:
            weight += limits.weight_long_heavy
            leaning = f", accounts long-heavy (long/short {ratio:.2f} ≥ {limits.long_heavy_ratio:.2f})"
        score += weight
        rules.append("leverage_buildup")
        reasons.append(f"leverage building up: funding {funding:.1%} annualized (≥ {limits.funding_hot:.0%}) with "
                       f"OI {oi_change:+.1%} over 7 days (≥ {limits.oi_rise_7d:+.0%}){leaning} → fragile ({weight:+.1f})")
    if funding is not None and drawdown is not None and drawdown <= limits.oi_washout \
            and abs(funding) <= limits.funding_neutral:
        score += limits.weight_bottoming
        rules.append("deleveraged")
        reasons.append(f"deleveraging done: OI {drawdown:.1%} from its 90-day high (≤ {limits.oi_washout:.0%}) with "
                       f"neutral funding {funding:.1%} (|·| ≤ {limits.funding_neutral:.0%}) → bottoming setup "
                       f"({limits.weight_bottoming:+.1f})")
    if funding is not None and z is not None and funding < 0 and z <= limits.netflow_z_outflow:
        score += limits.weight_risk_off
        rules.append("risk_off_outflow")
        reasons.append(f"negative funding {funding:.1%} while stablecoins leave exchanges: netflow {usd(row.netflow)}, "
                       f"z {z:+.2f} (≤ {limits.netflow_z_outflow:+.2f}) → risk-off ({limits.weight_risk_off:+.1f})")

    if long_z is not None and oi_change is not None and long_z >= limits.liq_flush_z and oi_change <= limits.oi_fall_7d:
        score += limits.weight_flush
        rules.append("long_flush")
        reasons.append(f"long liquidation flush: at least {usd(row.long_liq_usd)} of longs liquidated, z {long_z:+.2f} "
                       f"against the trailing {TRAILING_DAYS} days (≥ {limits.liq_flush_z:+.2f}), with OI "
                       f"{oi_change:+.1%} over 7 days (≤ {limits.oi_fall_7d:+.0%}) → deleveraging, bottoming setup "
                       f"({limits.weight_flush:+.1f})")
    near = row.est_levels_2pct_usd
    if near is not None and row.oi_usd and funding is not None and funding >= limits.funding_hot \
            and float(near / row.oi_usd) >= limits.levels_near_share:
        score += limits.weight_fragility
        rules.append("fragile_levels")
        reasons.append(f"fragile: an estimated {usd(near)} of positions would be liquidated within ±2% of the close "
                       f"({float(near / row.oi_usd):.1%} of OI ≥ {limits.levels_near_share:.0%}; a model estimate) with "
                       f"funding {funding:.1%} annualized (≥ {limits.funding_hot:.0%}) → fragile "
                       f"({limits.weight_fragility:+.1f})")

    score += _options_rules(row, limits, symbol, rules, reasons, missing)

    present = {name: 0.0 if _absent(row, name, z) else 1.0 for name in INPUTS}
    present["liquidations"] = liquidations if long_z is not None else 0.0
    present["est_levels"] = 0.0 if near is None else 1.0
    present["options"] = 0.0 if row.options_snapshot_ts is None else 1.0
    present["dvol"] = 0.0 if row.dvol_change_7d is None else 1.0
    confidence = sum(present.values()) / len(INPUTS)
    if row.chains_synced < row.chains:
        missing.append(f"{row.chains - row.chains_synced} of {row.chains} chains not synced for the day")
        confidence *= row.chains_synced / row.chains
    if not row.complete:
        missing.append("the day is not synced to its end (flows and issuance are partial)")
        confidence *= 0.5
    return Judgement(round(score, 6), rules, reasons, missing, round(confidence, 4))


def _absent(row: Features, name: str, z: float | None) -> bool:
    return z is None if name == "netflow_z" else getattr(row, name, None) is None


def _options_rules(row: Features, limits: Thresholds, symbol: str, rules: list[str], reasons: list[str],
                   missing: list[str]) -> float:
    """The options rules (appending to rules / reasons / missing); returns the score they add."""
    score = 0.0
    if row.options_snapshot_ts is None:
        missing.append(f"options (no {symbol} options snapshot for the day)")
    if row.dvol is None:
        missing.append(f"DVOL 7-day change (no {symbol} DVOL candle for the day)")
    elif row.dvol_change_7d is None:
        missing.append(f"DVOL 7-day change (no {symbol} DVOL candle 7 days before)")
    share, ratio, change, funding = row.options_near_share, row.put_call_ratio, row.dvol_change_7d, row.funding_annualized
    if share is not None and share >= limits.options_near_share:
        score += limits.weight_pinning
        rules.append("options_pinning")
        sized = f" of {usd(row.options_oi_usd)}" if row.options_oi_usd is not None else ""
        reasons.append(f"options open interest concentrated near spot: {share:.1%}{sized} at strikes within ±5% of "
                       f"spot (≥ {limits.options_near_share:.0%}) → pinning, then cascade risk once price leaves "
                       f"those strikes ({limits.weight_pinning:+.1f})")
    if change is not None and funding is not None and change >= limits.dvol_rise_7d and funding >= limits.funding_hot:
        score += limits.weight_vol_fragility
        rules.append("vol_fragility")
        reasons.append(f"implied volatility rising with hot funding: DVOL {float(row.dvol):.1f}, {change:+.1%} over 7 "
                       f"days (≥ {limits.dvol_rise_7d:+.0%}), funding {funding:.1%} annualized (≥ "
                       f"{limits.funding_hot:.0%}) → fragile ({limits.weight_vol_fragility:+.1f})")
    if ratio is not None and ratio >= limits.put_call_high:
        score += limits.weight_put_call_fear
        rules.append("put_call_fear")
        reasons.append(f"put/call open interest {ratio:.2f} (≥ {limits.put_call_high:.2f}): crowded hedging, fear "
                       f"priced in → contrarian tilt ({limits.weight_put_call_fear:+.1f})")
    elif ratio is not None and ratio <= limits.put_call_low:
        score += limits.weight_put_call_complacency
        rules.append("put_call_complacency")
        reasons.append(f"put/call open interest {ratio:.2f} (≤ {limits.put_call_low:.2f}): calls crowded, little "
                       f"hedging → complacency ({limits.weight_put_call_complacency:+.1f})")
    return score


def _liquidation_inputs(row: Features, limits: Thresholds, symbol: str) -> tuple[float, list[str]]:
    """How much the day's liquidation figures count (1 when covered ≥ the minimum hours, else the share of the
    day covered; 0 when nothing is known) and what to say about what is missing."""
    hours = row.liq_coverage_hours or 0.0
    missing = []
    if row.long_liq_usd is None:
        missing.append(f"liquidations (no {symbol} liquidation stream covered the day and none are stored)")
        weight = 0.0
    elif hours < limits.liq_min_coverage_hours:
        missing.append(f"liquidations covered {hours:.1f} of 24 h (< {limits.liq_min_coverage_hours:g} h: the "
                       f"{symbol} totals are a lower bound)")
        weight = min(hours, 24.0) / 24
    else:
        weight = 1.0
    if row.long_liq_usd is not None and row.liq_z_days < limits.min_trailing_days:
        missing.append(f"long-liquidation z-score ({row.liq_z_days} of the trailing {TRAILING_DAYS} days covered "
                       f"≥ {limits.liq_min_coverage_hours:g} h, {limits.min_trailing_days} needed)")
    if row.est_levels_2pct_usd is None:
        missing.append(f"estimated liquidation levels (no {symbol} close for the day)" if row.close is None else
                       f"estimated liquidation levels (no {symbol} model snapshot for the day)")
    return weight, missing


def next_regime(previous: str, score: float, limits: Thresholds) -> str:
    """Hysteresis: a regime is entered at its `enter` score and kept until the score crosses its `exit`."""
    if previous == "risk_on" and score >= limits.exit_risk_on:
        return "risk_on"
    if previous == "risk_off" and score <= limits.exit_risk_off:
        return "risk_off"
    if score >= limits.enter_risk_on:
        return "risk_on"
    if score <= limits.enter_risk_off:
        return "risk_off"
    return "neutral"


SIGNAL_COLUMNS = (
    "scope", "day", "symbol", "netflow", "netflow_z", "net_issuance_7d", "reserve_change_pct", "funding_annualized",
    "oi_change_7d", "oi_drawdown_90d", "long_short_ratio", "close", "score", "regime", "shift", "confidence", "rules",
    "reasons", "missing", "long_liq_usd", "short_liq_usd", "liq_ratio", "long_liq_z", "liq_coverage_hours",
    "est_levels_2pct_usd", "est_levels_5pct_usd", "options_oi_usd", "options_near_share", "put_call_ratio",
    "options_iv", "dvol", "dvol_change_7d",
)
# Each rule's weight setting: its sign is the way the rule expects the price to go (evaluate's hit rates).
RULE_WEIGHTS = {
    "liquidity_inflow": "weight_liquidity", "fresh_issuance": "weight_issuance", "leverage_buildup": "weight_leverage",
    "deleveraged": "weight_bottoming", "risk_off_outflow": "weight_risk_off", "long_flush": "weight_flush",
    "fragile_levels": "weight_fragility", "options_pinning": "weight_pinning", "vol_fragility": "weight_vol_fragility",
    "put_call_fear": "weight_put_call_fear", "put_call_complacency": "weight_put_call_complacency",
}


def classify(features: list[Features], limits: Thresholds, symbol: str) -> list[tuple[Any, ...]]:
    """Signal rows (SIGNAL_COLUMNS) for features sorted by scope and day; the regime carries day to day."""
    rows: list[tuple[Any, ...]] = []
    previous: dict[str, str] = {}
    for row in features:
        verdict = judge(row, limits, symbol)
        before = previous.get(row.scope)
        regime = next_regime(before or "neutral", verdict.score, limits)
        previous[row.scope] = regime
        reasons = "; ".join(verdict.reasons) or "no rule fired"
        rows.append((
            row.scope, row.day, symbol, row.netflow, _number(row.netflow_z), row.net_issuance_7d,
            _number(row.reserve_change_pct), row.funding_annualized, row.oi_change_7d, row.oi_drawdown_90d,
            row.long_short_ratio, row.close, verdict.score, regime, before is not None and regime != before,
            verdict.confidence, ",".join(verdict.rules), reasons, "; ".join(verdict.missing),
            row.long_liq_usd, row.short_liq_usd, _number(row.liq_ratio), _number(row.long_liq_z),
            row.liq_coverage_hours, row.est_levels_2pct_usd, row.est_levels_5pct_usd, row.options_oi_usd,
            _number(row.options_near_share), _number(row.put_call_ratio), _number(row.options_iv), row.dvol,
            _number(row.dvol_change_7d),
        ))
    return rows


def _number(value: float | None) -> float | None:
    return None if value is None or value != value else value  # NaN (0/0) is no number


def _features(result: Result) -> list[Features]:
    names = [f.name for f in fields(Features)]
    index = [result.columns.index(name) for name in names]
    return [Features(**{name: row[i] for name, i in zip(names, index)}) for row in result.rows]


def compute_signals(db_path: Path, since: date | None = None, until: date | None = None) -> Result:
    """Recompute every day's signal (one transaction) and return the days in [since, until]."""
    if since and until and since > until:
        raise TrackerError(f"--since {since} is after --until {until}")
    limits = Thresholds.from_settings()
    symbol = str(settings.get("signals.symbol")).upper()
    prepare_database(db_path)
    with Store.open(db_path) as store:
        con = store.connection
        features = _features(execute(con, resolve_sql("signal_features"),
                                     {"symbol": symbol, "min_coverage_hours": limits.liq_min_coverage_hours}))
        if not features:
            raise TrackerError("no synced days: run `tracker sync ethereum` / `tracker sync tron` first")
        rows = classify(features, limits, symbol)
        table = pa.table({name: [row[i] for row in rows] for i, name in enumerate(SIGNAL_COLUMNS)})
        con.register("computed_signals", table)
        try:
            with transaction(con):
                con.execute("DELETE FROM signals")
                con.execute("INSERT INTO signals BY NAME SELECT * FROM computed_signals")
        finally:
            con.unregister("computed_signals")
        return execute(con, "SELECT * FROM signals WHERE ($since IS NULL OR day >= CAST($since AS DATE)) "
                            "AND ($until IS NULL OR day <= CAST($until AS DATE)) ORDER BY day, scope <> 'all', scope",
                       {"since": since.isoformat() if since else None, "until": until.isoformat() if until else None})


# Fewer days than this in a group and its figures are noise: say so.
MIN_SAMPLE = 30


def parse_horizons(text: str) -> list[int]:
    try:
        horizons = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise TrackerError(f"invalid --horizons {text!r}: expected days such as 1,3,7") from None
    if not horizons or horizons[0] < 1 or horizons[-1] > 365:
        raise TrackerError(f"invalid --horizons {text!r}: days from 1 to 365")
    return horizons


def evaluate(db_path: Path, symbol: str, horizons: list[int], scope: str = "all") -> tuple[Result, list[str]]:
    """Forward returns after each regime, shift and rule against the baseline; warnings for small samples."""
    with open_for_reading(db_path) as store:
        con = store.connection
        stored = con.execute("SELECT count(*) FROM signals WHERE scope = ?", [scope]).fetchall()[0][0]
        if not stored:
            raise TrackerError(f"no signals for scope {scope!r}: run `tracker signals` first")
        priced = con.execute("SELECT count(*) FROM market_daily WHERE symbol = ? AND close IS NOT NULL",
                             [symbol]).fetchall()[0][0]
        if not priced:
            raise TrackerError(f"no {symbol} prices: run `tracker market sync --symbol {symbol}` first")
        limits = Thresholds.from_settings()
        down = [rule for rule, weight in RULE_WEIGHTS.items() if getattr(limits, weight) < 0]
        result = execute(con, resolve_sql("signal_evaluation"),
                         {"symbol": symbol, "scope": scope, "horizons": ",".join(map(str, horizons)),
                          "down_rules": ",".join(down)})
    if not result.rows:
        raise TrackerError(f"no day has a {symbol} close both on the signal day and after it: nothing to evaluate")
    column = {name: i for i, name in enumerate(result.columns)}
    notes = [
        f"{row[column['kind']]} {row[column['group']]} at {row[column['horizon']]}d: only {row[column['days']]} "
        f"days — too few to judge (want ≥ {MIN_SAMPLE})"
        for row in result.rows if row[column["days"]] < MIN_SAMPLE
    ]
    return result, notes
