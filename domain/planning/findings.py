"""What a rule reports when it fires: the finding, its effect, and the catalog of rule ids."""

from dataclasses import dataclass
from typing import Literal

from domain.planning.models import Severity

# WARN reports a WARNING for the broker and the integrator, and asks for nothing
Effect = Literal["BLOCK", "EXCLUDE", "EXCLUDE_REVIEW", "REVIEW", "WARN", "FLAG"]

SEVERITY: dict[Effect, Severity] = {
    "BLOCK": "ERROR",
    "EXCLUDE": "ERROR",
    "EXCLUDE_REVIEW": "ERROR",
    "REVIEW": "WARNING",
    "WARN": "WARNING",
    "FLAG": "INFO",
}
EXCLUDING: frozenset[Effect] = frozenset({"EXCLUDE", "EXCLUDE_REVIEW"})

# RULES.md §2, in its order; G-rules take code and text from the pack's pgaMap
RULES: dict[str, tuple[str, str]] = {
    "P-001": ("DESTINATION_UNSUPPORTED", "The destination is not supported by the pack or broker."),
    "P-002": ("BROKER_CONTACT_MISSING", "The broker has no usable submission address."),
    "P-003": ("NO_ELIGIBLE_ORDERS", "No requested order can be included."),
    "P-004": ("RULE_DATA_STALE", "Rule data is past its review date."),
    "P-005": (
        "SCREENING_LIST_MISSING",
        "No restricted-party screening list is loaded: the parties were not screened.",
    ),
    "O-001": ("ORDER_NOT_SYNCED", "The order id is not a synced order of the account."),
    "O-002": ("DESTINATION_MISMATCH", "The order goes to another destination than the plan."),
    "O-003": ("CONSIGNEE_ADDRESS_INCOMPLETE", "The destination region or postal code is missing."),
    "O-004": (
        "CONSIGNEE_DETAILS_MISSING",
        "The consignee's name or street address is missing; documents show the destination only.",
    ),
    "D-001": ("HTS_MISSING", "The product has no HTS code."),
    "D-002": ("HTS_INVALID_FORMAT", "The HTS code is not 6, 8 or 10 digits."),
    "D-003": ("HTS_INVALID_CODE", "The HTS code does not exist."),
    "D-004": ("HTS_CHAPTER_99_NOT_CLASSIFICATION", "Chapter 99 is not a classification."),
    "D-005": ("HTS_SPECIAL_PROVISION_98", "Chapter 98 special provision claimed."),
    "D-006": ("HTS_NOT_10_DIGIT", "The HTS code is not a full 10-digit US code."),
    "D-007": ("ORIGIN_MISSING", "The product has no country of origin."),
    "D-008": ("ORIGIN_INVALID", "The country of origin is not an ISO 3166-1 alpha-2 country."),
    "D-009": ("ORIGIN_US_GOODS_RETURNED", "US-origin goods: a goods-returned claim needs review."),
    "D-010": ("VALUE_MISSING", "The line has no unit value."),
    "D-011": ("VALUE_NON_POSITIVE", "The unit value is not positive."),
    "D-012": ("VALUE_SUSPICIOUSLY_LOW", "The unit value is implausibly low."),
    "D-013": ("DESCRIPTION_MISSING", "The product has no description."),
    "D-014": ("DESCRIPTION_VAGUE", "The description is too vague for customs."),
    "D-015": ("WEIGHT_MISSING", "The product has no weight."),
    "D-016": ("MANUFACTURER_MISSING", "The product has no manufacturer."),
    "D-017": ("TEXTILE_COMPOSITION_MISSING", "Textile without fibre composition."),
    "D-018": ("METAL_ORIGIN_MISSING", "Steel or aluminium article without metal origin."),
    "D-019": (
        "MANUFACTURER_ID_UNBUILDABLE",
        "The manufacturer's data cannot produce a manufacturer identification code (MID).",
    ),
    "S-001": ("ORIGIN_EMBARGOED", "Goods of an embargoed origin."),
    "S-002": ("ORIGIN_SANCTIONED_REGION", "Goods from a sanctioned region of Ukraine."),
    "S-003": ("ORIGIN_RU_PROHIBITED_GOODS", "Russian-origin goods of a prohibited kind."),
    "S-004": ("ORIGIN_COLUMN2_SANCTIONS_RISK", "Russian or Belarusian origin: sanctions risk."),
    "S-005": ("UFLPA_PRESUMPTION", "Made in Xinjiang: UFLPA presumes forced labour."),
    "S-006": ("UFLPA_HIGH_PRIORITY_SECTOR", "Chinese goods of a UFLPA high-priority sector."),
    "S-007": ("RESTRICTED_ARMS_EXPLOSIVES", "Arms, ammunition or explosives."),
    "S-008": ("FCC_COVERED_LIST_UAS", "Foreign drone: FCC Covered List."),
    "S-009": ("IPR_COUNTERFEIT_RISK", "The description suggests counterfeit goods."),
    "S-010": ("UFLPA_INPUT_REGION", "Inputs produced in Xinjiang: UFLPA presumes forced labour."),
    "S-011": ("UFLPA_ENTITY_LIST", "The manufacturer is on the UFLPA Entity List."),
    "S-012": (
        "ORIGIN_RU_INPUTS",
        "Russian seafood or diamonds, also when processed in another country, are banned.",
    ),
    "S-013": (
        "FCC_COVERED_EQUIPMENT",
        "Equipment made by an entity on the FCC Covered List cannot be newly authorized.",
    ),
    "S-014": (
        "CONTROLLED_SUBSTANCE_THC",
        "THC products over the hemp limit and synthesised cannabinoids are controlled substances.",
    ),
    "S-015": ("DENIED_PARTY_MATCH", "A party matches a US government restricted-party list."),
    "T-001": ("TARIFF_232_STEEL_ALUMINUM", "Section 232 steel/aluminium duties apply."),
    "T-002": ("TARIFF_232_COPPER", "Section 232 copper duties apply."),
    "T-003": ("TARIFF_232_WOOD", "Section 232 timber and wood-product duties apply."),
    "T-004": ("TARIFF_232_VEHICLES", "Section 232 vehicle and auto-part duties apply."),
    "T-005": ("TARIFF_301_CHINA", "Chinese origin: Section 301 duties may apply."),
    "T-006": ("DUTY_COLUMN_2", "Column 2 duty rates apply to this origin."),
    "T-007": ("MARKING_COUNTRY_OF_ORIGIN_REQUIRED", "Goods must be marked with their origin."),
    "T-008": ("MARKING_HK_AS_CHINA", "Hong Kong goods must be marked as made in China."),
    "T-009": ("TARIFF_232_SEMICONDUCTORS", "Section 232 semiconductor duties may apply."),
    "T-010": ("TARIFF_232_PHARMA", "Section 232 duties on patented pharmaceuticals may apply."),
    "T-011": (
        "TARIFF_301_NICARAGUA",
        "Nicaraguan origin: Section 301 duties apply unless the goods originate under CAFTA-DR.",
    ),
    "T-012": (
        "TARIFF_301_FORCED_LABOR",
        "Section 301 forced-labour duties apply to this origin unless an exemption does.",
    ),
    "T-013": ("TARIFF_301_BRAZIL", "Brazilian origin: Section 301 duties apply."),
    "E-001": ("DE_MINIMIS_UNAVAILABLE", "No de minimis: every shipment needs an entry."),
    "E-002": ("FORMAL_ENTRY_REQUIRED_VALUE", "Order value above the informal entry limit."),
    "E-003": ("INFORMAL_CH99_CAP_CHECK", "Informal entry of a Chapter 99 article above the cap."),
    "E-004": ("SPLIT_SHIPMENT_RISK", "Orders to one consignee together exceed the informal limit."),
    "E-005": ("ADCVD_RISK", "Goods under an AD/CVD order: a formal entry is needed at any value."),
    "E-006": (
        "BOND_NOT_ON_FILE",
        "A formal entry needs a customs bond; the broker has none on file.",
    ),
}
# rules whose FLAG is a Chapter 99 (232/301) measure, for E-003
CHAPTER_99_RULES = frozenset(
    {"T-001", "T-002", "T-003", "T-004", "T-005", "T-009", "T-010", "T-011", "T-012", "T-013"}
)


@dataclass(frozen=True)
class Finding:
    """One rule firing, at plan, order or line level."""

    rule_id: str
    code: str
    effect: Effect
    title: str
    message: str
    order_id: str | None = None
    product_id: str | None = None
    field: str | None = None
    missing: bool = False  # also report `field` in missing_data


@dataclass(frozen=True)
class Where:
    """The place a rule looks at: the plan, an order, or a product on an order's line."""

    order_id: str | None = None
    product_id: str | None = None

    def fire(
        self,
        rule_id: str,
        effect: Effect,
        detail: str = "",
        *,
        field: str | None = None,
        missing: bool = False,
        code: str | None = None,
        title: str | None = None,
    ) -> Finding:
        """A finding here; code and title come from RULES unless given (pgaMap rows)."""
        catalog_code, catalog_title = RULES.get(rule_id, (rule_id, rule_id))
        code = code or catalog_code
        title = title or catalog_title
        message = f"{title} {detail}" if detail else title
        return Finding(
            rule_id, code, effect, title, message, self.order_id, self.product_id, field, missing
        )


PLAN = Where()
