"""One render per change, however many live screens show the view."""

import threading

from shared.render_cache import SharedViews


def test_a_thousand_screens_woken_by_one_event_render_once() -> None:
    views, renders = SharedViews(), []
    start = threading.Barrier(50)

    def build() -> str:
        renders.append(1)
        return "<p>board</p>"

    results: list[str] = []

    def screen() -> None:
        start.wait()
        for _ in range(20):
            results.append(views.get("display", 7, build))

    threads = [threading.Thread(target=screen) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 1000 and set(results) == {"<p>board</p>"}
    assert len(renders) == 1


def test_a_later_event_or_old_age_renders_again() -> None:
    views, count = SharedViews(max_age=60), iter(range(100))
    build = lambda: f"v{next(count)}"  # noqa: E731
    assert views.get("board", 1, build) == "v0"
    assert views.get("board", 1, build) == "v0"
    assert views.get("board", 2, build) == "v1"
    assert views.get("other", 2, build) == "v2"
    views.max_age = 0
    assert views.get("board", 2, build) == "v3"
