import pytest

from core.orders import states


def test_customer_may_only_cancel_before_confirmation():
    assert states.next_statuses(states.SUBMITTED, "customer") == [states.CANCELLED]
    assert states.next_statuses(states.CONFIRMED, "customer") == []


def test_staff_walks_the_whole_path():
    path = [states.SUBMITTED, states.CONFIRMED, states.ASSEMBLING, states.SHIPPED, states.DELIVERED]
    for current, target in zip(path, path[1:]):
        states.check_transition(current, target, "staff")


@pytest.mark.parametrize(
    "current,target,actor",
    [("delivered", "cancelled", "staff"), ("shipped", "submitted", "staff"), ("confirmed", "shipped", "staff"),
     ("submitted", "confirmed", "customer"), ("cancelled", "submitted", "system")],
)
def test_illegal_moves_raise(current, target, actor):
    with pytest.raises(states.TransitionNotAllowed):
        states.check_transition(current, target, actor)
