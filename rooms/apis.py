"""The REST API of units, rooms, sites, equipment and self-tests (same rules as the pages)."""

from __future__ import annotations

import os
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from rooms import selectors
from rooms.filters import RoomFilter, UnitFilter
from rooms.models import DeviceTest, EquipmentItem, Room, Site, Unit
from rooms.permissions import can_manage_site
from rooms.serializers import (
    DeviceTestSerializer,
    EquipmentItemSerializer,
    RoomSerializer,
    SiteSerializer,
    UnitSerializer,
)
from rooms.services.sites import ItemChange, device_test_record, site_checklist_save

MAX_DOWNLOAD_BYTES = 5_000_000
DEFAULT_DOWNLOAD_BYTES = 2_000_000


class UnitViewSet(viewsets.ReadOnlyModelViewSet[Unit]):
    """The organisation directory: public, as the room pages are."""

    serializer_class = UnitSerializer
    permission_classes = [permissions.AllowAny]
    filterset_class = UnitFilter
    lookup_field = "slug"
    ordering_fields = ["name", "slug", "kind"]
    queryset = Unit.objects.select_related("province", "parent", "room").order_by("slug")


class RoomViewSet(viewsets.ReadOnlyModelViewSet[Room]):
    """Rooms and their public addresses."""

    serializer_class = RoomSerializer
    permission_classes = [permissions.AllowAny]
    filterset_class = RoomFilter
    lookup_field = "slug"
    ordering_fields = ["slug"]
    queryset = Room.objects.select_related("unit", "manager").order_by("slug")


def _site(request: Request, slug: str) -> Site:
    site = get_object_or_404(Site.objects.select_related("unit"), unit__slug=slug)
    if not can_manage_site(request.user, site):
        raise PermissionDenied(_("Only the room's manager or an administrator may do this."))
    return site


class SiteList(APIView):
    """Readiness of the sites you may see: all for administrators, your own for managers."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        responses=SiteSerializer(many=True),  # paginated like every list
        parameters=[
            OpenApiParameter("province", str, description="Province slug, e.g. hanoi"),
            OpenApiParameter("state", str, enum=["ready", "not_ready"]),
            OpenApiParameter("kind", str),
        ],
    )
    def get(self, request: Request) -> Response:
        statuses = selectors.sites_overview(
            user=request.user,
            province=request.query_params.get("province", ""),
            state=request.query_params.get("state", ""),
            kind=request.query_params.get("kind", ""),
        )
        paginator: PageNumberPagination = PageNumberPagination()
        page: list[Any] | None = paginator.paginate_queryset(
            statuses,  # type: ignore[arg-type]  # a list pages as well as a queryset
            request,
            view=self,
        )
        data = SiteSerializer(page, many=True).data  # type: ignore[arg-type]
        return paginator.get_paginated_response(data)


class SiteDetail(APIView):
    """One site's readiness and checklist."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=SiteSerializer)
    def get(self, request: Request, slug: str) -> Response:
        status_ = selectors.site_status(site=_site(request, slug))
        return Response(SiteSerializer(status_).data)


def _change(item_id: int | None, data: dict[str, Any]) -> ItemChange:
    return ItemChange(
        id=item_id,
        kind=data["kind"],
        quantity=data.get("quantity", 1),
        status=data["status"],
        note=data.get("note", ""),
        checked_on=data.get("checked_on"),
    )


class EquipmentList(generics.ListCreateAPIView[EquipmentItem]):
    """A site's checklist lines; managers of the site and administrators only."""

    serializer_class = EquipmentItemSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = None
    queryset = EquipmentItem.objects.none()  # for the schema; get_queryset scopes to the site

    def get_queryset(self) -> QuerySet[EquipmentItem]:
        if getattr(self, "swagger_fake_view", False):
            return EquipmentItem.objects.none()
        return _site(self.request, self.kwargs["slug"]).items.order_by("kind", "id")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        site = _site(request, kwargs["slug"])
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        [item] = site_checklist_save(site=site, changes=[_change(None, serializer.validated_data)])
        return Response(EquipmentItemSerializer(item).data, status=status.HTTP_201_CREATED)


class EquipmentDetail(generics.RetrieveUpdateDestroyAPIView[EquipmentItem]):
    """One checklist line."""

    serializer_class = EquipmentItemSerializer
    permission_classes = [permissions.IsAuthenticated]
    lookup_url_kwarg = "item_id"
    queryset = EquipmentItem.objects.none()  # for the schema; get_queryset scopes to the site

    def get_queryset(self) -> QuerySet[EquipmentItem]:
        if getattr(self, "swagger_fake_view", False):
            return EquipmentItem.objects.none()
        return _site(self.request, self.kwargs["slug"]).items.all()

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        item = self.get_object()
        serializer = self.get_serializer(item, data=request.data, partial=kwargs.get("partial"))
        serializer.is_valid(raise_exception=True)
        merged = {**EquipmentItemSerializer(item).data, **serializer.validated_data}
        if "checked_on" not in serializer.validated_data:
            merged["checked_on"] = None
        [saved] = site_checklist_save(site=item.site, changes=[_change(item.pk, merged)])
        return Response(EquipmentItemSerializer(saved).data)

    def perform_destroy(self, instance: EquipmentItem) -> None:
        site_checklist_save(site=instance.site, changes=[], deleted_ids=[instance.pk])


class DeviceTestList(generics.ListCreateAPIView[DeviceTest]):
    """Browser self-test results of a site, newest first."""

    serializer_class = DeviceTestSerializer
    permission_classes = [permissions.IsAuthenticated]
    queryset = DeviceTest.objects.none()  # for the schema; get_queryset scopes to the site

    def get_queryset(self) -> QuerySet[DeviceTest]:
        if getattr(self, "swagger_fake_view", False):
            return DeviceTest.objects.none()
        return _site(self.request, self.kwargs["slug"]).device_tests.order_by("-created_at")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        site = _site(request, kwargs["slug"])
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        test = device_test_record(
            site=site,
            tested_by=request.user,
            camera_ok=data["camera_ok"],
            microphone_ok=data["microphone_ok"],
            microphone_peak=data.get("microphone_peak", 0.0),
            speakers_ok=data["speakers_ok"],
            rtt_ms=data.get("rtt_ms"),
            download_mbps=data.get("download_mbps"),
            user_agent=data.get("user_agent", ""),
        )
        return Response(DeviceTestSerializer(test).data, status=status.HTTP_201_CREATED)


class SelfTestPing(APIView):
    """A tiny answer for measuring the round-trip time to the server."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        response = Response({"ok": True})
        response["Cache-Control"] = "no-store"
        return response


class SelfTestDownload(APIView):
    """Random bytes for measuring the download rate (at most 5 MB)."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("bytes", int, description="Size, at most 5,000,000")],
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request) -> HttpResponse:
        try:
            size = int(request.query_params.get("bytes", DEFAULT_DOWNLOAD_BYTES))
        except ValueError:
            size = DEFAULT_DOWNLOAD_BYTES
        size = max(1, min(size, MAX_DOWNLOAD_BYTES))
        # Random bytes so no proxy or compression can shrink the transfer.
        response = HttpResponse(os.urandom(size), content_type="application/octet-stream")
        response["Cache-Control"] = "no-store"
        return response
