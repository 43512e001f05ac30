"""factory_boy factories for the whole suite."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from rooms.models import Room, Site, Unit, UnitKind


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"nguoidung{n}")
    first_name = "Lan"
    last_name = "Nguyễn"
    email = factory.LazyAttribute(lambda u: f"{u.username}@hanoi.edu.vn")
    password = factory.django.Password("mat-khau-dai-123")


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    code = factory.Sequence(lambda n: f"U{n:05d}")
    kind = UnitKind.DISTRICT
    name = factory.Sequence(lambda n: f"Phòng Giáo dục và Đào tạo số {n}")
    slug = factory.Sequence(lambda n: f"donvi{n}")


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    unit = factory.SubFactory(UnitFactory)


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    unit = factory.SubFactory(UnitFactory)
    slug = factory.LazyAttribute(lambda room: room.unit.slug)
