"""Factories for test data. Households are made through the service, as a user would make them."""

import factory
from django.contrib.auth import get_user_model

from divisions.models import Division, Membership
from households.models import Household
from households.services import register_counts_refresh

User = get_user_model()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("name", locale="zh_CN")
    password = factory.django.Password("pw")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    division = factory.LazyFunction(lambda: Division.objects.get(code="410103"))
    role = "district_admin"


class HouseholdFactory(factory.django.DjangoModelFactory):
    """A household in 五里堡街道's first community unless told otherwise; bypasses the service (but keeps
    the community's household count, as the service does)."""

    class Meta:
        model = Household

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        household = super()._create(model_class, *args, **kwargs)
        register_counts_refresh([household.division_code])
        return household

    division = factory.LazyFunction(lambda: Division.objects.filter(parent__code="410103006").first())
    division_code = factory.LazyAttribute(lambda o: o.division.code)
    estate = factory.Iterator(["龙亭小区", "中铁院家属楼", "铁路新村"])
    building = factory.Sequence(lambda n: str(n % 12 + 1))
    unit = factory.Sequence(lambda n: str(n % 4 + 1))
    room = factory.Sequence(lambda n: f"{n % 6 + 1}0{n % 4 + 1}")
    head_name = factory.Faker("name", locale="zh_CN")
    phone = factory.Sequence(lambda n: f"138{n:08d}")
