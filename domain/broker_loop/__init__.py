"""The broker loop (docs/broker-protocol.md): the callbacks a broker sends, the broker's side of
an export, and the pure state machine that applies one to the other."""

from domain.broker_loop.callbacks import (
    BrokerCallback,
    CallbackType,
    DocumentAsk,
    FieldAsk,
    from_v1,
)
from domain.broker_loop.machine import (
    EVENT_OF,
    Received,
    RequestNotOpen,
    amendment_sent,
    answer,
    export_status,
    is_final,
    next_amendment,
    open_holds,
    open_requests,
    receive,
)
from domain.broker_loop.state import BrokerRequest, BrokerSide, Hold, RequestAnswer

__all__ = [
    "EVENT_OF",
    "BrokerCallback",
    "BrokerRequest",
    "BrokerSide",
    "CallbackType",
    "DocumentAsk",
    "FieldAsk",
    "Hold",
    "Received",
    "RequestAnswer",
    "RequestNotOpen",
    "amendment_sent",
    "answer",
    "export_status",
    "from_v1",
    "is_final",
    "next_amendment",
    "open_holds",
    "open_requests",
    "receive",
]
