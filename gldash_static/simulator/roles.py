"""Tokens for users of a given role: members, group access token bots and non-members."""

from __future__ import annotations

from gldash_static.simulator import names
from gldash_static.simulator.permissions import ROLES
from gldash_static.simulator.state import OrgState

NON_MEMBER = "non-member"


def token_for(state: OrgState, role: str, group_path: str | None = None, bot: bool = False) -> str:
    """The token of a user with `role` in a group (None: every top-level group).

    `role` is guest, reporter, developer, maintainer, owner or "non-member" (a signed-in user
    who belongs to nothing). `bot=True` gives a group access token's bot user instead,
    named as GitLab names them (`group_<id>_bot_<32 hex>`) and a member of that one group.
    The same arguments give the same user and token again.
    """
    if role != NON_MEMBER and role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join([*ROLES, NON_MEMBER])}")
    with state.changing():
        if group_path is None:
            groups = sorted(g.id for g in state.groups.values() if g.parent_id is None)
        else:
            found = state.find_group(group_path)
            if found is None:
                raise KeyError(f"no group {group_path!r}")
            groups = [found.id]
        if bot:
            if role == NON_MEMBER or len(groups) != 1:
                raise ValueError("a group access token belongs to exactly one group, with a role")
            digest = names.fake_sha(state.spec.seed, "bot", groups[0], role)[:32]
            username = f"group_{groups[0]}_bot_{digest}"
            name = f"{state.groups[groups[0]].name} {role} token"
        else:
            where = "all" if group_path is None else str(groups[0])
            username = f"sim-{role}-{where}"
            name = f"Simulated {role}"
        user = state.user_by_name(username)
        if user is None:
            user = state.add_user(username, name, bot=bot)
            if role != NON_MEMBER:
                for gid in groups:
                    state.add_membership(user.id, ROLES[role], group_id=gid)
        return state.token_of(username)
