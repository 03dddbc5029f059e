"""Data-completeness rules D-001…D-018, applied to one order line and its product."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from domain.hs import hs6_exists, in_scope, is_alpha2, normalize_hts
from domain.planning.findings import Effect, Finding, Where
from domain.planning.models import LineSnapshot, PlanningSnapshot, ProductSnapshot
from domain.planning.rules.manufacturer import has_manufacturer, manufacturer_id_findings
from domain.rulepack.model import RulePack
from domain.screening.index import ScreeningMatch
from domain.terms import only_terms

# attribute names RULES.md gives for D-017 and D-018
FIBER_COMPOSITION = "fiberComposition"
METAL_ORIGIN = "metalOrigin"
# ISO 3166 codes of the places the product's inputs come from (S-010, S-012)
INPUT_REGIONS = "inputRegions"


@dataclass(frozen=True)
class LineFacts:
    """What the later rules need to know about a line once its data was checked."""

    where: Where
    quantity: int
    product: ProductSnapshot
    unit_value: Decimal | None
    hts: str | None  # digits of a usable classification (passed D-001…D-004)
    origin: str | None  # a valid ISO 3166-1 alpha-2 code
    description: str  # stripped; "" when missing
    plan_date: date
    postal: bool  # the warehouse ships by mail (the postal informal entry)

    @property
    def line_value(self) -> Decimal:
        """Quantity × unit value; a missing or non-positive value counts as nothing."""
        if self.unit_value is None or self.unit_value <= 0:
            return Decimal(0)
        return self.quantity * self.unit_value

    @property
    def line_weight(self) -> Decimal:
        """Quantity × product weight; a missing weight counts as nothing."""
        weight = self.product.weight_kg
        return Decimal(0) if weight is None else self.quantity * weight


def product_for(line: LineSnapshot, snapshot: PlanningSnapshot) -> ProductSnapshot:
    """The line's product; an unknown one reads as a product with no data at all."""
    found = snapshot.products.get(line.product_id)
    return found or ProductSnapshot(id=line.product_id, external_id="")


def effective_unit_value(line: LineSnapshot, product: ProductSnapshot) -> Decimal | None:
    """The line's own unit value, else the product's."""
    return line.unit_value_usd if line.unit_value_usd is not None else product.unit_value_usd


def has_attribute(product: ProductSnapshot, key: str) -> bool:
    """True when the attribute is present and not blank or empty."""
    value = product.attributes.get(key)
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | dict | tuple):
        return bool(value)
    return value is not None


def input_regions(product: ProductSnapshot) -> list[str]:
    """`attributes.inputRegions` as upper-case ISO 3166-2 codes (anything else is ignored)."""
    value = product.attributes.get(INPUT_REGIONS)
    items = value if isinstance(value, list) else []
    return sorted({item.strip().upper() for item in items if isinstance(item, str)})


def decimal_attribute(product: ProductSnapshot, key: str) -> Decimal | None:
    """A numeric attribute (a number or a numeric string) as a Decimal; anything else is None."""
    value = product.attributes.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


@dataclass(frozen=True)
class ProductChecks:
    """What the line rules find about a product whatever the line: the checked HTS code, origin
    and description, and the findings before and after the line's value rules (D-010…D-012),
    placed on no order (`on_order` places them on a line's)."""

    hts: str | None
    origin: str | None
    description: str
    before_value: list[Finding]
    after_value: list[Finding]


@dataclass(frozen=True)
class LineSetting:
    """What a line's rules need to know beyond the line: the pack, the day and the mode.

    One setting serves one plan: it also keeps what the rules found about each product (the
    same products recur on many lines and orders), worked out on the product's first line.
    """

    pack: RulePack
    plan_date: date
    postal: bool
    classifies: bool  # the broker classifies goods itself
    products: dict[str, ProductChecks] = field(default_factory=dict, compare=False, repr=False)
    # the compliance rules' findings per product id, and the screening's matches per name
    compliance: dict[str, list[Finding]] = field(default_factory=dict, compare=False, repr=False)
    screened: dict[str, list[ScreeningMatch]] = field(
        default_factory=dict, compare=False, repr=False
    )


def on_order(findings: list[Finding], order_id: str) -> list[Finding]:
    """Findings worked out for a product, placed on one order's line of it."""
    if not findings:  # most products' checks find nothing
        return []
    return [
        Finding(
            f.rule_id,
            f.code,
            f.effect,
            f.title,
            f.message,
            order_id,
            f.product_id,
            f.field,
            f.missing,
        )
        for f in findings
    ]


def check_line(
    order_id: str, line: LineSnapshot, product: ProductSnapshot, setting: LineSetting
) -> tuple[LineFacts, list[Finding]]:
    """Run D-001…D-014, D-017, D-018 and D-019 on one line."""
    where = Where(order_id, line.product_id)
    checks = setting.products.get(line.product_id)
    if checks is None:
        checks = _product_checks(line.product_id, product, setting)
        setting.products[line.product_id] = checks
    unit_value = effective_unit_value(line, product)
    findings = on_order(checks.before_value, order_id)
    _value(where, unit_value, setting.pack, findings)
    findings += on_order(checks.after_value, order_id)
    facts = LineFacts(
        where,
        line.quantity,
        product,
        unit_value,
        checks.hts,
        checks.origin,
        checks.description,
        setting.plan_date,
        setting.postal,
    )
    return facts, findings


def _product_checks(
    product_id: str, product: ProductSnapshot, setting: LineSetting
) -> ProductChecks:
    """The rules of `check_line` that read the line's product only (the same for every line of
    the product id)."""
    pack = setting.pack
    where = Where(None, product_id)
    hts, before = _hts(where, product.hs_code, setting)
    origin = _origin(where, product.country_of_origin, pack, before)
    after: list[Finding] = []
    description = (product.description or "").strip()
    _description(where, description, pack, after)
    if hts is not None:
        if in_scope(hts, pack.hts.textile_chapters) and not has_attribute(
            product, FIBER_COMPOSITION
        ):
            after.append(_missing_attribute(where, "D-017", FIBER_COMPOSITION))
        if in_scope(hts, pack.hts.metal_origin_chapters) and not has_attribute(
            product, METAL_ORIGIN
        ):
            after.append(_missing_attribute(where, "D-018", METAL_ORIGIN))
    after += manufacturer_id_findings(where, product, pack)
    return ProductChecks(hts, origin, description, before, after)


def entry_dependent_findings(
    facts: LineFacts, *, formal: bool, postal: bool, pack: RulePack
) -> list[Finding]:
    """D-015 and D-016, whose effect depends on the order's entry type."""
    where, product, out = facts.where, facts.product, []
    if product.weight_kg is None:
        effect: Effect = "REVIEW" if formal or postal else "FLAG"
        out.append(where.fire("D-015", effect, field="weightKg", missing=True))
    if not has_manufacturer(product):
        textile = facts.hts is not None and in_scope(facts.hts, pack.hts.textile_chapters)
        effect = "REVIEW" if formal or textile else "FLAG"
        out.append(where.fire("D-016", effect, field="manufacturer", missing=True))
    return out


def _hts(where: Where, raw: str | None, setting: LineSetting) -> tuple[str | None, list[Finding]]:
    pack = setting.pack
    if raw is None or not raw.strip():
        # a broker that classifies goods itself can supply the code: review instead of exclude
        effect: Effect = "REVIEW" if setting.classifies else "EXCLUDE"
        return None, [where.fire("D-001", effect, field="hsCode", missing=True)]
    digits = normalize_hts(raw)
    if digits is None or len(digits) not in pack.hts.valid_lengths:
        return None, [where.fire("D-002", "EXCLUDE", f"Got {raw!r}.", field="hsCode")]
    chapter = digits[:2]
    if chapter in pack.hts.additional_duty_chapters:
        return None, [where.fire("D-004", "EXCLUDE", f"Got {raw!r}.", field="hsCode")]
    special = chapter in pack.hts.special_provision_chapters
    if chapter in pack.hts.reserved_chapters or (not special and not hs6_exists(digits)):
        detail = f"{digits[:6]} is not in {pack.hts.nomenclature}."
        return None, [where.fire("D-003", "EXCLUDE", detail, field="hsCode")]
    findings = []
    if special:
        findings.append(where.fire("D-005", "REVIEW", f"Got {raw!r}.", field="hsCode"))
    if len(digits) < pack.hts.full_length:
        # the postal informal entry needs the 10-digit code of every line: by mail, exclude
        by_mail = setting.postal and pack.measures.postal_entry is not None
        effect = "EXCLUDE_REVIEW" if by_mail else "REVIEW"
        findings.append(where.fire("D-006", effect, f"Got {raw!r}.", field="hsCode"))
    return digits, findings


def _origin(where: Where, raw: str | None, pack: RulePack, out: list[Finding]) -> str | None:
    if raw is None or not raw.strip():
        out.append(where.fire("D-007", "EXCLUDE", field="countryOfOrigin", missing=True))
        return None
    if not is_alpha2(raw):
        out.append(where.fire("D-008", "EXCLUDE", f"Got {raw!r}.", field="countryOfOrigin"))
        return None
    if raw == pack.domestic_origin:
        out.append(where.fire("D-009", "REVIEW", field="countryOfOrigin"))
    return raw


def _value(where: Where, value: Decimal | None, pack: RulePack, out: list[Finding]) -> None:
    if value is None:
        out.append(where.fire("D-010", "EXCLUDE", field="unitValueUsd", missing=True))
    elif value <= 0:
        out.append(where.fire("D-011", "EXCLUDE", f"Got {value} USD.", field="unitValueUsd"))
    elif value < pack.thresholds.min_plausible_unit_value_usd:
        detail = f"{value} USD is below {pack.thresholds.min_plausible_unit_value_usd} USD."
        out.append(where.fire("D-012", "REVIEW", detail, field="unitValueUsd"))


def _description(where: Where, text: str, pack: RulePack, out: list[Finding]) -> None:
    if not text:
        out.append(where.fire("D-013", "EXCLUDE", field="description", missing=True))
    elif len(text) < pack.thresholds.min_description_chars or only_terms(
        text, pack.terms.vague, pack.terms.filler
    ):
        out.append(where.fire("D-014", "REVIEW", f"Got {text!r}.", field="description"))


def _missing_attribute(where: Where, rule_id: str, key: str) -> Finding:
    return where.fire(rule_id, "REVIEW", field=f"attributes.{key}", missing=True)
