"""Views read their large fields lazily and say which ones changed."""
from wfengine.core.engine import views


def test_a_task_that_publishes_changes_only_its_published_data():
    reads = []

    def load():
        reads.append(1)
        return {"x": "big"}, {}

    task = views.TaskView("t-1", "t1", "RUNNING", load_data=load)
    assert task.data_changed == set() and reads == []
    task.published = {"y": 1}
    assert task.data_changed == {"published"}
    assert (task.in_context, task.published) == ({"x": "big"}, {"y": 1})
    assert reads == [1], "the data is read once, before the first write"


def test_data_given_with_the_view_is_not_read_again():
    task = views.TaskView("t-1", "t1", "RUNNING", load_data=lambda: 1 / 0)
    task.data_loaded({"x": 1}, {"y": 2})
    task.in_context = dict(task.in_context, z=3)
    assert task.data_changed == {"in_context"}
    assert task.in_context == {"x": 1, "z": 3} and task.published == {"y": 2}
