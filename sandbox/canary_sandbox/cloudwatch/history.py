"""Alarm history (moto has none): what DescribeAlarmHistory answers.

Items are kept in the order they happened, each with a sequence number; NextToken names
the last item returned, so paging is stable while new items arrive. Like CloudWatch, the
history outlives the alarm. Timestamps are real time (UTC), the same axis as the
StateUpdatedTimestamp that describe_alarms reports; the datapoint times quoted inside
reasons are on the sandbox time axis.
"""

import base64
import binascii
import json
import threading
from dataclasses import dataclass
from datetime import datetime, timezone

from moto.cloudwatch.exceptions import CloudWatchException, InvalidParameterValue

ITEM_TYPES = ("ConfigurationUpdate", "StateUpdate", "Action", "AlarmContributorStateUpdate", "AlarmContributorAction")
ALARM_TYPES = ("CompositeAlarm", "MetricAlarm")
SCAN_ORDERS = ("TimestampDescending", "TimestampAscending")
MAX_RECORDS = 100
MAX_ITEMS = 10000  # per sandbox; the oldest go first


class InvalidNextToken(CloudWatchException):
    code = "InvalidNextToken"


@dataclass(frozen=True)
class HistoryItem:
    sequence: int
    alarm_name: str
    alarm_type: str
    timestamp: datetime
    item_type: str
    summary: str
    data: str  # JSON, as CloudWatch writes HistoryData

    def answer(self):
        return {
            "AlarmName": self.alarm_name,
            "AlarmType": self.alarm_type,
            "Timestamp": self.timestamp,
            "HistoryItemType": self.item_type,
            "HistorySummary": self.summary,
            "HistoryData": self.data,
        }


def state_update_data(old, new):
    """HistoryData of a StateUpdate: {"version", "oldState": {...}, "newState": {...}}; states are dicts of
    stateValue, stateReason and (optional) stateReasonData as a JSON object."""
    return {"version": "1.0", "oldState": _state(old), "newState": _state(new)}


def _state(state):
    entry = {"stateValue": state["stateValue"], "stateReason": state.get("stateReason") or ""}
    reason_data = state.get("stateReasonData")
    if isinstance(reason_data, str):
        try:
            reason_data = json.loads(reason_data) if reason_data else None
        except ValueError:
            reason_data = None
    if reason_data:
        entry["stateReasonData"] = reason_data
    return entry


class AlarmHistory:
    def __init__(self, region_items=MAX_ITEMS):
        self._lock = threading.Lock()
        self._items = {}  # region -> [HistoryItem]
        self._sequence = 0
        self._limit = region_items

    def record(self, region, alarm_name, item_type, summary, data, timestamp=None, alarm_type="MetricAlarm"):
        with self._lock:
            self._sequence += 1
            item = HistoryItem(
                self._sequence, alarm_name, alarm_type, timestamp or datetime.now(timezone.utc), item_type, summary, json.dumps(data, separators=(",", ":"))
            )
            items = self._items.setdefault(region, [])
            items.append(item)
            del items[: -self._limit]
            return item

    def items(self, region, alarm_name=None):
        with self._lock:
            return [item for item in self._items.get(region, ()) if alarm_name is None or item.alarm_name == alarm_name]

    def clear(self):
        with self._lock:
            self._items = {}

    def describe(self, region, params):
        """The DescribeAlarmHistory answer for parsed request parameters."""
        query = _Query.from_params(params)
        items = sorted(
            (item for item in self.items(region) if query.matches(item)),
            key=lambda item: (item.timestamp, item.sequence),
            reverse=query.order == "TimestampDescending",
        )
        if query.after is not None:
            positions = [index for index, item in enumerate(items) if item.sequence == query.after]
            if not positions:
                raise InvalidNextToken("The NextToken is not valid (expired or from another query): start again without NextToken.")
            items = items[positions[0] + 1 :]
        page = items[: query.max_records]
        answer = {"AlarmHistoryItems": [item.answer() for item in page]}
        if len(items) > len(page):
            answer["NextToken"] = _token(page[-1].sequence)
        return answer


@dataclass(frozen=True)
class _Query:
    alarm_name: str
    alarm_types: tuple
    item_type: str
    start: datetime
    end: datetime
    max_records: int
    order: str
    after: int

    @classmethod
    def from_params(cls, params):
        item_type = params.get("HistoryItemType")
        if item_type is not None and item_type not in ITEM_TYPES:
            raise InvalidParameterValue(f"HistoryItemType {item_type!r} is not one of {', '.join(ITEM_TYPES)}.")
        order = params.get("ScanBy") or "TimestampDescending"
        if order not in SCAN_ORDERS:
            raise InvalidParameterValue(f"ScanBy {order!r} is not one of {', '.join(SCAN_ORDERS)}.")
        max_records = params.get("MaxRecords")
        max_records = MAX_RECORDS if max_records is None else int(max_records)
        if not 1 <= max_records <= MAX_RECORDS:
            raise InvalidParameterValue(f"MaxRecords {max_records} is not between 1 and {MAX_RECORDS}.")
        alarm_types = tuple(params.get("AlarmTypes") or ("MetricAlarm",))
        return cls(
            params.get("AlarmName"),
            alarm_types,
            item_type,
            _aware(params.get("StartDate")),
            _aware(params.get("EndDate")),
            max_records,
            order,
            _untoken(params.get("NextToken")),
        )

    def matches(self, item):
        return (
            (self.alarm_name is None or item.alarm_name == self.alarm_name)
            and item.alarm_type in self.alarm_types
            and (self.item_type is None or item.item_type == self.item_type)
            and (self.start is None or item.timestamp >= self.start)
            and (self.end is None or item.timestamp <= self.end)
        )


def _aware(moment):
    """Request timestamps as timezone-aware UTC datetimes (parsers may give naive UTC or epoch numbers)."""
    if moment is None:
        return None
    if isinstance(moment, (int, float)):
        return datetime.fromtimestamp(moment, timezone.utc)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _token(sequence):
    return base64.urlsafe_b64encode(json.dumps({"after": sequence}).encode()).decode()


def _untoken(token):
    if not token:
        return None
    try:
        return int(json.loads(base64.urlsafe_b64decode(token.encode()))["after"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise InvalidNextToken("The NextToken is not valid: pass the NextToken of a previous DescribeAlarmHistory answer unchanged.") from None
