"""The lifecycle policy: which stage moves are allowed, and on what terms. Pure functions."""

from leads.models import LifecycleStage

FUNNEL = [
    LifecycleStage.SUBSCRIBER,
    LifecycleStage.LEAD,
    LifecycleStage.MQL,
    LifecycleStage.SQL,
    LifecycleStage.OPPORTUNITY,
    LifecycleStage.CUSTOMER,
]
SIDE_STAGES = {LifecycleStage.NURTURE, LifecycleStage.DISQUALIFIED}
# A recycled (nurture) or disqualified contact sits at the level of a lead: it can move on to
# lead or MQL again; anything further is a skip.
_RANK = {stage: i for i, stage in enumerate(FUNNEL)} | {
    LifecycleStage.NURTURE: 1,
    LifecycleStage.DISQUALIFIED: 1,
}


class Move:
    FORWARD = "forward"
    SKIP = "skip"
    BACK = "back"
    SIDE = "side"


def classify_move(from_stage: str, to_stage: str) -> str:
    """FORWARD: the next funnel stage; SKIP: further ahead; BACK: behind; SIDE: to nurture/disqualified."""
    if to_stage in SIDE_STAGES:
        return Move.SIDE
    step = _RANK[to_stage] - _RANK[from_stage]
    if step < 0 or (step == 0 and from_stage not in SIDE_STAGES):
        return Move.BACK
    if step <= 1:
        return Move.FORWARD
    return Move.SKIP
