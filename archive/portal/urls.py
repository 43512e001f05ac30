"""The public archive under /portal/."""

from __future__ import annotations

from django.urls import path

from archive.portal import feeds, views

app_name = "portal"

urlpatterns = [
    path("", views.index, name="index"),
    path("search/", views.search_page, name="search"),
    path("rss/", feeds.ArchiveRss(), name="rss"),
    path("atom/", feeds.ArchiveAtom(), name="atom"),
    path("rss/unit/<slug:slug>/", feeds.UnitRss(), name="rss-unit"),
    path("rss/tag/<slug:slug>/", feeds.TagRss(), name="rss-tag"),
    path("atom/unit/<slug:slug>/", feeds.UnitAtom(), name="atom-unit"),
    path("atom/tag/<slug:slug>/", feeds.TagAtom(), name="atom-tag"),
    path("review/", views.review, name="review"),
    path("review/<int:pk>/", views.review_entry, name="review-entry"),
    path(
        "review/<int:pk>/<str:decision>/",
        views.review_decide,
        name="review-decide",
    ),
    path("embed/<int:pk>/", views.embed, name="embed"),
    path("<int:pk>/video.mp4", views.video, name="video"),
    path("<int:pk>/poster.jpg", views.poster, name="poster"),
    path("<int:pk>/captions.vtt", views.captions, name="captions"),
    path("<int:pk>-<slug:slug>/", views.entry_detail, name="entry"),
]
