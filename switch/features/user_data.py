"""UserData: the key-value pairs a call carries, and who hears about changes to them.

Owns: AttachUserData, UpdateUserData, DeleteUserData and DeletePair; every party of the call
still in it (external ones aside) gets EventAttachedDataChanged with all of the call's UserData,
the DN that changed it first. The pairs live on the Call (Call.user_data); a consultation call
starts with a copy (the consultation feature makes it).

Keeps no state of its own and needs no other feature: only the kernel's call lookup. A call
carries at most switch.max_call_user_data_bytes of UserData (as encoded): a change past it is
refused (EventError 714) before anything changes.
"""

from __future__ import annotations

from protocol.codec import kvlist_size
from protocol.errors import ErrorCode
from protocol.messages import Event, EventAttachedDataChanged
from protocol.values import ConnID, KVList, KVValue
from switch.calls import Call, PartyState, SwitchError
from switch.kernel import SwitchKernel


class UserData(SwitchKernel):
    """The call's UserData and EventAttachedDataChanged."""

    def attach_user_data(
        self, this_dn: str, conn_id: ConnID, user_data: KVList, *, now: float
    ) -> list[Event]:
        """Add the pairs to the call's UserData (keys may repeat)."""
        del now
        call, _party = self._party(this_dn, conn_id)
        pairs = (call.user_data or KVList()).pairs + user_data.pairs
        return self._set_user_data(call, this_dn, pairs)

    def update_user_data(
        self, this_dn: str, conn_id: ConnID, user_data: KVList, *, now: float
    ) -> list[Event]:
        """Replace the values of keys the call has, add the others."""
        del now
        call, _party = self._party(this_dn, conn_id)
        updates = dict(user_data.pairs)
        pairs: list[tuple[str, KVValue]] = []
        seen: set[str] = set()
        for key, value in (call.user_data or KVList()).pairs:
            if key in updates:
                if key not in seen:
                    pairs.append((key, updates[key]))
            else:
                pairs.append((key, value))
            seen.add(key)
        pairs += [(k, v) for k, v in user_data.pairs if k not in seen]
        return self._set_user_data(call, this_dn, tuple(pairs))

    def delete_user_data(self, this_dn: str, conn_id: ConnID, *, now: float) -> list[Event]:
        """Delete all of the call's UserData."""
        del now
        call, _party = self._party(this_dn, conn_id)
        return self._set_user_data(call, this_dn, ())

    def delete_pair(self, this_dn: str, conn_id: ConnID, key: str, *, now: float) -> list[Event]:
        """Delete every pair with this key from the call's UserData."""
        del now
        call, _party = self._party(this_dn, conn_id)
        pairs = (call.user_data or KVList()).pairs
        if all(k != key for k, _ in pairs):
            raise SwitchError(
                ErrorCode.InvalidAttribute,
                f"the call's UserData has no key {key!r}",
                this_dn=this_dn,
                conn_id=conn_id,
            )
        return self._set_user_data(call, this_dn, tuple((k, v) for k, v in pairs if k != key))

    def _set_user_data(
        self, call: Call, changed_by: str, pairs: tuple[tuple[str, KVValue], ...]
    ) -> list[Event]:
        user_data = KVList(pairs)
        cap = self.config.max_call_user_data_bytes
        if cap and pairs:
            size = kvlist_size(user_data)
            if size > cap:
                raise SwitchError(
                    ErrorCode.UserDataTooLarge,
                    f"the call's UserData would be {size} bytes, over the {cap} bytes a call "
                    "may carry (switch.max_call_user_data_bytes)",
                    this_dn=changed_by,
                    conn_id=call.conn_id,
                )
        call.user_data = user_data
        parties = sorted(
            (p for p in call.parties if p.state is not PartyState.Released and not p.external),
            key=lambda p: p.dn != changed_by,  # the DN that changed it first
        )
        return [
            EventAttachedDataChanged(
                this_dn=p.dn,
                conn_id=call.conn_id,
                call_type=call.call_type,
                call_id=call.call_id,
                this_dn_role=p.role,
                third_party_dn=changed_by,
                user_data=call.user_data,
                call_uuid=call.call_uuid,
            )
            for p in parties
        ]
