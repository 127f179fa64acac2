"""Sales contracts: one numbered version per content of a deal, signed by the customer and countersigned.

A contract version freezes what the customer agrees to (``content``: the accepted offer revision's
snapshot, the dealer's purchasing conditions in the customer's language and the deal's payment
split) and binds both signatures to it through ``content_hash``. Once signed, a version never
changes: a different content means a new version, and the old one is ``superseded``. The ORM
guard at the bottom of this module refuses any flush that edits a frozen column or a recorded
signature, or moves the state backwards — the services check first and explain, this is the wall.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Index, String, Text, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain.contracts import content_hash
from app.models.accounts import User
from app.models.base import Base, enum_values, utcnow
from app.models.deals import Deal
from app.tenancy import TenantScoped


class ContractState(StrEnum):
    """Where a contract version is: waiting for the customer, for the principal, done, or out of force."""

    AWAITING_CUSTOMER = "awaiting_customer"
    CUSTOMER_SIGNED = "customer_signed"
    FULLY_SIGNED = "fully_signed"
    SUPERSEDED = "superseded"
    VOIDED = "voided"


#: States a version may move to from each state (anything else is refused by the ORM guard).
CONTRACT_TRANSITIONS: dict[ContractState, frozenset[ContractState]] = {
    ContractState.AWAITING_CUSTOMER: frozenset(
        {ContractState.CUSTOMER_SIGNED, ContractState.SUPERSEDED, ContractState.VOIDED}
    ),
    ContractState.CUSTOMER_SIGNED: frozenset({ContractState.FULLY_SIGNED, ContractState.SUPERSEDED, ContractState.VOIDED}),
    ContractState.FULLY_SIGNED: frozenset({ContractState.SUPERSEDED, ContractState.VOIDED}),
    ContractState.SUPERSEDED: frozenset(),
    ContractState.VOIDED: frozenset(),
}

#: Versions still in force (the current one of a deal, if any, is in one of these).
LIVE_STATES = frozenset({ContractState.AWAITING_CUSTOMER, ContractState.CUSTOMER_SIGNED, ContractState.FULLY_SIGNED})


class ContractImmutableError(ValueError):
    """A flush tried to change a frozen contract column, a recorded signature, or to move the state back."""


class Contract(TenantScoped, Base):
    """One version of a deal's sales contract, with the customer's signature and the principal's countersignature.

    ``version`` counts 1, 2, … per deal. ``content`` is the frozen JSON the PDF is drawn from
    (``services.contracts.build_content``: amounts are exact Decimal strings); ``content_hash`` its
    SHA-256 (canonical JSON). Customer signature: ``customer_signed_name`` (as typed),
    ``customer_consent`` (box ticked), ``customer_signed_at`` (UTC), ``customer_ip``,
    ``customer_user_agent``. Countersignature: ``countersigned_by_id`` (a dealer principal),
    ``countersigned_at``, ``countersigned_ip``, ``countersigned_name`` (the principal's name then).
    ``ended_at`` / ``end_reason`` say when and why a version was superseded or voided.
    """

    __tablename__ = "contract"
    __table_args__ = (
        # Also the (dealer_id, deal_id) lookup index; two generations racing cannot both create v2.
        UniqueConstraint("dealer_id", "deal_id", "version"),
        Index("ix_contract_dealer_state", "dealer_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"))
    version: Mapped[int]
    state: Mapped[ContractState] = mapped_column(
        Enum(ContractState, native_enum=False, length=20, validate_strings=True, values_callable=enum_values),
        default=ContractState.AWAITING_CUSTOMER,
    )
    content: Mapped[dict] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    customer_signed_name: Mapped[str] = mapped_column(String(200), default="")
    customer_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    customer_signed_at: Mapped[datetime | None]
    customer_ip: Mapped[str] = mapped_column(String(45), default="")
    customer_user_agent: Mapped[str] = mapped_column(String(300), default="")
    countersigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    countersigned_name: Mapped[str] = mapped_column(String(200), default="")
    countersigned_at: Mapped[datetime | None]
    countersigned_ip: Mapped[str] = mapped_column(String(45), default="")
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str] = mapped_column(Text, default="")

    deal: Mapped[Deal] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    countersigned_by: Mapped[User | None] = relationship(foreign_keys=[countersigned_by_id])

    @property
    def customer_signed(self) -> bool:
        """Return True once the customer's signature is recorded."""
        return self.customer_signed_at is not None

    @property
    def countersigned(self) -> bool:
        """Return True once the principal's countersignature is recorded."""
        return self.countersigned_at is not None


# Never change once the row exists.
_FROZEN = ("deal_id", "version", "content", "content_hash", "created_at", "created_by_id", "dealer_id")
# Never change once they hold a value (a signature is recorded once).
_SIGNATURE = (
    "customer_signed_name", "customer_consent", "customer_signed_at", "customer_ip", "customer_user_agent",
    "countersigned_by_id", "countersigned_name", "countersigned_at", "countersigned_ip", "ended_at", "end_reason",
)


def _was_set(value) -> bool:
    return value not in (None, "", False)


@event.listens_for(Contract, "before_update")
def _refuse_changes(mapper, connection, target: Contract) -> None:
    """Refuse edits of frozen columns and recorded signatures, and backward state moves (see module docstring)."""
    state = inspect(target)
    for name in _FROZEN:
        history = state.attrs[name].history
        if history.deleted and history.added and history.deleted[0] != history.added[0]:
            raise ContractImmutableError(f"Contract {target.id}: {name} is frozen; generate a new version instead.")
    # JSON columns mutated in place are not tracked; compare the stored hash with the content too.
    if content_hash(target.content) != target.content_hash:
        raise ContractImmutableError(f"Contract {target.id}: content is frozen; generate a new version instead.")
    for name in _SIGNATURE:
        history = state.attrs[name].history
        if history.deleted and _was_set(history.deleted[0]) and history.added and history.added[0] != history.deleted[0]:
            raise ContractImmutableError(f"Contract {target.id}: {name} was recorded and cannot change.")
    history = state.attrs["state"].history
    if history.deleted and history.added and history.deleted[0] is not None:
        before, after = ContractState(history.deleted[0]), ContractState(history.added[0])
        if before != after and after not in CONTRACT_TRANSITIONS[before]:
            raise ContractImmutableError(f"Contract {target.id}: cannot go from {before.value} to {after.value}.")


@event.listens_for(Contract, "before_delete")
def _refuse_delete(mapper, connection, target: Contract) -> None:
    """Refuse deleting a version the customer signed (deleting the whole deal cascades in the database)."""
    if target.customer_signed_at is not None:
        raise ContractImmutableError(f"Contract {target.id} was signed and cannot be deleted.")
