"""/<slug>/live/: the public watch page during a broadcast, the live room otherwise.

Wiring only. The decision belongs to ``broadcasts`` (who watches, who presents)
and the room to ``signaling``; neither may import the other, so ``meet`` joins them.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from broadcasts import views as watch_views
from meet.headers import allow_devices
from signaling import views as room_views


def live(request: HttpRequest, slug: str) -> HttpResponse:
    """The watch page for the public while the room broadcasts, else the live room."""
    page = watch_views.watch_page_if_broadcasting(request, slug)
    if page is not None:
        return page
    # The live room (its pre-join included) is where cameras and microphones are used.
    response = room_views.live_room(request, slug)
    allow_devices(response)
    return response
